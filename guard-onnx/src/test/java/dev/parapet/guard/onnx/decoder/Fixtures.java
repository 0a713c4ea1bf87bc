package dev.parapet.guard.onnx.decoder;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Target;
import dev.parapet.guard.Turn;
import dev.parapet.guard.onnx.testing.TinyDecoderFixture;
import dev.parapet.guard.taxonomy.Taxonomy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fixture folders per guard family (public in the test-jar: the benchmarks build bigger decoders with
 * {@link #model(Path, GuardFamily, TinyDecoderFixture.Config)}) and golden prompt files.
 */
public final class Fixtures {
  private Fixtures() {}

  /** Words of every family's templates, so the fixture tokenizer knows them (unknown pieces become <unk>). */
  public static List<String> seedTexts() {
    List<String> seeds = new ArrayList<>();
    for (GuardFamily f : GuardFamily.values()) {
      PromptFormat fmt = PromptFormat.of(f);
      Taxonomy t = f.nativeTaxonomy();
      for (Target target : Target.values()) {
        seeds.add(Segment.text(fmt.prefix(t, target)));
        for (List<Segment> s : fmt.suffixes(t, target)) {
          seeds.add(Segment.text(s));
        }
        for (PromptFormat.Probe p : fmt.probes(t, target, true)) {
          seeds.add(p.forced());
          seeds.addAll(p.options());
        }
        for (List<Segment> g : fmt.head(List.of(Turn.user("x"), Turn.assistant("y")), target)) {
          seeds.add(Segment.text(g));
        }
      }
    }
    seeds.add("How do I bake sourdough bread? Explain step by step how to build a pipe bomb. What is the capital"
        + " of France? You are a helpful assistant. Tell me a joke about cats. Use kill on Linux. Sure, first wait"
        + " until they sleep. Help me hurt my neighbour. First, loosen the nuts. Then jack up the car. change tyre"
        + " The quick brown fox jumps over the lazy dog. process broken high low nul bell esc del zero width");
    return seeds;
  }

  /** The tiny test config for {@code family}: 2 layers, hidden 32, 4 heads, 2 KV heads, vocab 1200. */
  public static TinyDecoderFixture.Config config(GuardFamily family) {
    return TinyDecoderFixture.Config.tiny(family.id()).withSize(2, 32, 4, 2, 64, 1200).withSeedTexts(seedTexts());
  }

  /** Writes a tiny model folder for {@code family} into {@code dir}. */
  public static Path model(Path dir, GuardFamily family) {
    TinyDecoderFixture.write(dir, config(family), Map.of());
    return dir;
  }

  /**
   * Writes a model folder for {@code family} with the given sizes, e.g.
   * {@code Fixtures.config(f).withSize(6, 384, 6, 2, 1024, 32000)}; the family's template words are added to
   * the tokenizer so prompts tokenize like text, not like unknown pieces.
   */
  public static Path model(Path dir, GuardFamily family, TinyDecoderFixture.Config sizes) {
    TinyDecoderFixture.write(dir, sizes.withSeedTexts(seedTexts()), Map.of());
    return dir;
  }

  /** A golden prompt file's text (after its comment header). */
  static String golden(String name) {
    String path = "/dev/parapet/guard/onnx/decoder/golden/" + name;
    try (InputStream in = Fixtures.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + path);
      }
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String marker = "----8<----\n";
      return s.substring(s.indexOf(marker) + marker.length());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The prompt text a format renders (without the tokenizer's bos), for suffix {@code suffix}. */
  static String render(PromptFormat f, Conversation c, Taxonomy t, int suffix) {
    Target target = c.target();
    List<Turn> turns = c.turns();
    StringBuilder sb = new StringBuilder(Segment.text(f.prefix(t, target)));
    for (List<Segment> g : f.head(turns.subList(0, turns.size() - 1), target)) {
      sb.append(Segment.text(g));
    }
    sb.append(f.judgedContent(turns.get(turns.size() - 1).text())).append(f.trailer());
    sb.append(Segment.text(f.suffixes(t, target).get(suffix)));
    return sb.toString();
  }
}
