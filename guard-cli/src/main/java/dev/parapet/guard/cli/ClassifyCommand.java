package dev.parapet.guard.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.guard.Conversation;
import dev.parapet.guard.Decision;
import dev.parapet.guard.Verdict;
import dev.parapet.guard.eval.Progress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "classify", sortOptions = false, header = "Classify prompts or prompt/response pairs.",
    description = {"Prints one verdict per input: the decision, P(unsafe), the top categories and the latency "
        + "(a table, or --json). Input: the TEXT argument, --file, or stdin; one text per line, or with --jsonl one "
        + "JSON object per line: {\"prompt\": ..., \"response\": ...} or {\"messages\": [{\"role\": ..., "
        + "\"content\": ...}]}. Blank lines are skipped.",
        "",
        "Exit status: 0 all allowed, 1 at least one input flagged or blocked, 2 usage or input error."})
final class ClassifyCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParentCommand ParapetCommand parent;

  @Parameters(index = "0", arity = "0..1", paramLabel = "TEXT",
      description = "The prompt to classify ('-' or absent: read stdin, unless --file).")
  String text;

  @Option(names = "--response", paramLabel = "TEXT",
      description = "The assistant's response to TEXT: judge the response in the context of the prompt.")
  String response;

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read inputs from FILE, one per line.")
  Path file;

  @Option(names = "--jsonl", description = "Each input line is a JSON object (conversation or eval record).")
  boolean jsonl;

  @Option(names = "--json", description = "Print one JSON verdict per line instead of a table.")
  boolean json;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
      description = "Checks to run in parallel for many inputs. Default: ${DEFAULT-VALUE}.")
  int threads;

  @Mixin ModelOptions model;

  /** One thing to classify. */
  record Item(String id, Conversation conversation) {}

  @Override
  public Integer call() throws Exception {
    if (threads < 1) {
      throw new IllegalArgumentException("--threads must be >= 1, was " + threads);
    }
    List<Item> items = readItems();
    if (items.isEmpty()) {
      throw new IllegalArgumentException("no input: pass TEXT, --file FILE, or pipe lines into stdin");
    }
    PrintWriter out = parent.out();
    try (Engine engine = parent.open(model.toEngineOptions())) {
      List<Verdict> verdicts = checkAll(engine, items);
      if (json) {
        for (int i = 0; i < items.size(); i++) {
          ObjectNode o = JSON.createObjectNode();
          o.put("index", i + 1);
          if (!items.get(i).id().isEmpty()) {
            o.put("id", items.get(i).id());
          }
          o.put("text", items.get(i).conversation().last().text());
          o.set("verdict", VerdictTable.json(verdicts.get(i)));
          out.println(JSON.writeValueAsString(o));
        }
      } else {
        VerdictTable.print(out, engine.taxonomy(), items, verdicts);
        out.printf("model %s, taxonomy %s, policy %s%n", engine.modelId(), engine.taxonomy().name(),
            engine.policySpec());
      }
      out.flush();
      boolean unsafe = verdicts.stream().anyMatch(v -> v.decision() != Decision.ALLOW);
      return unsafe ? ExitCodes.UNSAFE : ExitCodes.OK;
    }
  }

  private List<Verdict> checkAll(Engine engine, List<Item> items) throws InterruptedException {
    Progress progress = new Progress(parent.err(), "classify", items.size(), items.size() >= 200,
        parent.interactive());
    if (threads == 1 || items.size() == 1) {
      List<Verdict> out = new ArrayList<>();
      for (Item it : items) {
        out.add(engine.check(it.conversation()));
        progress.step();
      }
      progress.finish();
      return out;
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Verdict>> fs = new ArrayList<>();
      for (Item it : items) {
        fs.add(pool.submit(() -> {
          Verdict v = engine.check(it.conversation());
          progress.step();
          return v;
        }));
      }
      List<Verdict> out = new ArrayList<>();
      for (Future<Verdict> f : fs) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        }
      }
      progress.finish();
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private List<Item> readItems() throws IOException {
    boolean fromStdin = file == null && (text == null || text.equals("-"));
    if (file != null && text != null) {
      throw new IllegalArgumentException("give either TEXT or --file, not both");
    }
    if (response != null) {
      if (file != null || fromStdin) {
        throw new IllegalArgumentException("--response pairs with a TEXT argument (the prompt); for many pairs "
            + "use --jsonl with {\"prompt\": ..., \"response\": ...} lines");
      }
      return List.of(new Item("", Conversation.ofExchange(text, response)));
    }
    if (!fromStdin && file == null) {
      if (jsonl) {
        return List.of(parseJsonl(text, 1));
      }
      return List.of(new Item("", Conversation.ofPrompt(text)));
    }
    List<Item> items = new ArrayList<>();
    String source = file == null ? "stdin" : file.toString();
    if (file != null && !Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such input file; check the --file path");
    }
    if (file == null && parent.in() == System.in && System.console() != null) {
      parent.err().println("reading inputs from stdin, one per line (end with Ctrl-D); see --help");
      parent.err().flush();
    }
    InputStream in = file == null ? parent.in() : Files.newInputStream(file);
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      long n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        if (jsonl) {
          try {
            items.add(parseJsonl(line, n));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ":" + n + ": " + e.getMessage());
          }
        } else {
          items.add(new Item("", Conversation.ofPrompt(line)));
        }
      }
    }
    return items;
  }

  private static Item parseJsonl(String line, long n) {
    ConversationJson.Parsed p = ConversationJson.parse(line);
    return new Item(p.id(), p.conversation());
  }
}
