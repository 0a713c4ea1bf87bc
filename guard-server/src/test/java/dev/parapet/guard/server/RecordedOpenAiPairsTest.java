package dev.parapet.guard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.guard.Guard;
import dev.parapet.guard.testing.ScriptedClassifier;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Requests in the API reference's shape get responses with every field of the reference's response shape. */
class RecordedOpenAiPairsTest {

  @ParameterizedTest
  @ValueSource(strings = {"string", "array", "parts"})
  void recordedRequest_replyHasTheRecordedShapeAndFlags(String name) throws Exception {
    JsonNode request = read(name + "-request.json");
    JsonNode recorded = read(name + "-response.json");
    try (Guard guard = Guard.builder().classifier(ScriptedClassifier.builder().rule("pipe bomb", "S9", 0.95).build())
        .noCache().build();
         ParapetServer server = ParapetServer.builder(guard).port(0).build().start()) {
      Http.Reply r = new Http(server.uri()).post("/v1/moderations", request.toString());
      assertEquals(200, r.status(), r.body());
      JsonNode got = r.json();
      sameShape("", recorded, got);
      for (int i = 0; i < recorded.get("results").size(); i++) {
        JsonNode want = recorded.get("results").get(i);
        JsonNode have = got.get("results").get(i);
        assertEquals(want.get("flagged"), have.get("flagged"), name + " results[" + i + "].flagged");
        for (Iterator<Map.Entry<String, JsonNode>> it = want.get("categories").fields(); it.hasNext();) {
          Map.Entry<String, JsonNode> e = it.next();
          assertEquals(e.getValue(), have.get("categories").get(e.getKey()), name + " category " + e.getKey());
        }
      }
    }
  }

  /** Every field of {@code want} exists in {@code got} with the same JSON type (arrays compared by element 0). */
  private static void sameShape(String path, JsonNode want, JsonNode got) {
    assertNotNull(got, "missing " + path);
    assertEquals(want.getNodeType(), got.getNodeType(), "type of " + path);
    if (want.isObject()) {
      want.fieldNames().forEachRemaining(f -> sameShape(path + "." + f, want.get(f), got.get(f)));
    } else if (want.isArray() && !want.isEmpty()) {
      assertEquals(want.size(), got.size(), "length of " + path);
      sameShape(path + "[0]", want.get(0), got.get(0));
    }
  }

  private static JsonNode read(String file) throws Exception {
    try (InputStream in = RecordedOpenAiPairsTest.class.getResourceAsStream("/openai/" + file)) {
      assertNotNull(in, file);
      return Http.JSON.readTree(in);
    }
  }
}
