package dev.parapet.guard.onnx.encoder;

import java.util.Arrays;
import java.util.List;

/**
 * A custom category learned from its examples at run time: the examples' embeddings and a calibrated sigmoid
 * over the best cosine similarity, {@code score = sigmoid((cos - c0) / tau)}. Immutable.
 *
 * <p><b>Calibration without labels.</b> Where similarities fall depends on the embedding space (a fine-tuned
 * space is not MiniLM's) and on how tight the category is, so fixed constants misfire: in a space where all
 * texts are fairly similar, everything would land in the category. Unless the manifest fixes {@code c0} and
 * {@code tau} ({@code customCategory}), they are set per category from two reference points measured in the
 * model's own space:
 * <ul>
 *   <li>{@code on}: how similar the examples are to each other (the mean, over examples, of the best similarity
 *       to another example) — what an on-topic text looks like. With a single example there is no such
 *       measure; {@code on = off + 0.3} is assumed.
 *   <li>{@code off}: the 90th percentile, over a fixed set of {@link #BACKGROUND} texts on unrelated everyday
 *       topics, of their best similarity to an example — what unrelated traffic looks like.
 * </ul>
 * Then {@code c0 = (on + off) / 2} and {@code tau = max(0.01, (on - off) / 6)}: an on-topic text scores about
 * 0.95, typical unrelated text about 0.05. If the examples are no closer to each other than to the background
 * ({@code on - off < 0.06}), the category is too diffuse to learn from them; {@code c0 = off + 0.03},
 * {@code tau = 0.01} then flags only texts closer than all but the rarest background texts.
 */
final class Prototypes {
  /** Unrelated everyday texts: the background that custom categories are calibrated against. */
  static final List<String> BACKGROUND = List.of(
      "What's a good recipe for banana bread?",
      "How do I change a flat tire on my bike?",
      "Can you recommend some books about the history of Rome?",
      "What is the capital of Australia?",
      "Help me write a thank-you note to my teacher.",
      "Explain how photosynthesis works.",
      "What are some tips for sleeping better?",
      "Translate 'good morning' into Spanish.",
      "Write a short poem about autumn leaves.",
      "How many planets are in the solar system?",
      "What is the difference between a list and a tuple in Python?",
      "Suggest a workout plan for beginners.",
      "How do I set up a new email account?",
      "What should I pack for a week-long beach holiday?",
      "Summarize the plot of Romeo and Juliet.",
      "How do vaccines train the immune system?",
      "What's the weather usually like in Lisbon in May?",
      "Give me ideas for a child's birthday party.",
      "How can I improve my resume for a marketing job?",
      "Why is the sky blue?",
      "Recommend a board game for four players.",
      "How do I clean a cast iron pan?",
      "What is compound interest?",
      "Tell me a joke about cats.");

  final float[][] examples;
  final double c0;
  final double tau;

  Prototypes(float[][] examples, double c0, double tau) {
    this.examples = examples;
    this.c0 = c0;
    this.tau = tau;
  }

  /** Fixed calibration (from the manifest). */
  static Prototypes fixed(float[][] examples, double c0, double tau) {
    return new Prototypes(examples, c0, tau);
  }

  /** Calibrates against the background embeddings; all vectors L2-normalized. */
  static Prototypes calibrated(float[][] examples, float[][] background) {
    double[] offs = new double[background.length];
    for (int i = 0; i < background.length; i++) {
      offs[i] = best(background[i], examples, -1);
    }
    Arrays.sort(offs);
    double off = offs[Math.min(offs.length - 1, (int) Math.floor(0.9 * offs.length))];
    double on;
    if (examples.length < 2) {
      on = off + 0.3;
    } else {
      double sum = 0;
      for (int i = 0; i < examples.length; i++) {
        sum += best(examples[i], examples, i);
      }
      on = sum / examples.length;
    }
    if (on - off < 0.06) {
      return new Prototypes(examples, off + 0.03, 0.01);
    }
    return new Prototypes(examples, (on + off) / 2, Math.max(0.01, (on - off) / 6));
  }

  /** The largest cosine similarity of {@code v} to any example except index {@code skip}. */
  static double best(float[] v, float[][] examples, int skip) {
    double m = -1;
    for (int i = 0; i < examples.length; i++) {
      if (i != skip) {
        m = Math.max(m, Scorer.dot(v, examples[i]));
      }
    }
    return m;
  }

  double score(double cosine) {
    return EncoderConfig.sigmoid((cosine - c0) / tau);
  }
}
