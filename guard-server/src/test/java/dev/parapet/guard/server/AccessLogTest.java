package dev.parapet.guard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.guard.Guard;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One JSON line per request; texts only with logTexts(true). */
class AccessLogTest {
  private static final String SECRET = "purple elephant forty-two";
  private final Logger logger = Logger.getLogger(AccessLog.LOGGER);
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      lines.add(r.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private Level before;

  @BeforeEach
  void attach() {
    before = logger.getLevel();
    logger.setLevel(Level.INFO);
    logger.setUseParentHandlers(false);
    logger.addHandler(capture);
  }

  @AfterEach
  void detach() {
    logger.removeHandler(capture);
    logger.setUseParentHandlers(true);
    logger.setLevel(before);
  }

  private void run(boolean logTexts) {
    try (Guard guard = Guard.builder().classifier(ScriptedClassifier.builder().rule("bomb", "S9", 0.9).build())
        .noCache().build();
         ParapetServer server = ParapetServer.builder(guard).port(0).logTexts(logTexts).build().start()) {
      Http http = new Http(server.uri());
      assertEquals(200, http.post("/v1/moderations", Http.json(java.util.Map.of("input", SECRET + " bomb"))).status());
      assertEquals(200, http.post("/v1/check", "{\"messages\":[{\"role\":\"user\",\"content\":\"" + SECRET + "\"}]}")
          .status());
      assertEquals(400, http.post("/v1/moderations", "{\"input\": \"" + SECRET + "\" oops}").status());
    }
  }

  @Test
  void byDefault_oneJsonLinePerRequest_withoutTexts() throws Exception {
    run(false);
    assertEquals(3, lines.size(), lines.toString());
    JsonNode first = Http.JSON.readTree(lines.get(0));
    assertEquals("POST", first.get("method").asText());
    assertEquals("/v1/moderations", first.get("path").asText());
    assertEquals(200, first.get("status").asInt());
    assertEquals("BLOCK", first.get("decisions").get(0).asText());
    assertEquals("S9", first.get("categories").get(0).asText());
    assertTrue(first.get("requestId").asText().startsWith("req_"));
    assertEquals("invalid_value", Http.JSON.readTree(lines.get(2)).get("error").asText());
    for (String l : lines) {
      assertFalse(l.contains("elephant"), "a text leaked into the access log: " + l);
    }
  }

  @Test
  void withLogTexts_textsAreLogged() throws Exception {
    run(true);
    JsonNode first = Http.JSON.readTree(lines.get(0));
    assertEquals(SECRET + " bomb", first.get("texts").get(0).asText());
    assertEquals(SECRET, Http.JSON.readTree(lines.get(1)).get("texts").get(0).asText());
  }
}
