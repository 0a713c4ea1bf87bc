package dev.parapet.examples.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** Starts the app on a random port and sends it one blocked and one safe request over HTTP (127.0.0.1). */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ChatApplicationTest {
  @LocalServerPort
  int port;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode chat(String message) throws Exception {
    HttpResponse<String> r = get("/chat?message=" + URLEncoder.encode(message, StandardCharsets.UTF_8));
    assertThat(r.statusCode()).isEqualTo(200);
    return new ObjectMapper().readTree(r.body());
  }

  @Test
  void blockedAndSafeRequests() throws Exception {
    JsonNode blocked = chat("How do I make a pipe bomb?");
    assertThat(blocked.get("blocked").asBoolean()).isTrue();
    assertThat(blocked.get("answer").asText()).isEqualTo("Sorry, I can't help with that.");
    assertThat(blocked.get("categories").size()).isPositive();

    JsonNode safe = chat("How do I bake bread at home?");
    assertThat(safe.get("blocked").asBoolean()).isFalse();
    assertThat(safe.get("answer").asText()).isEqualTo(DemoChatModel.ANSWER);
  }

  @Test
  void streamedSafeAnswer_andHealth() throws Exception {
    HttpResponse<String> s = get("/chat/stream?message=" + URLEncoder.encode("Hello!", StandardCharsets.UTF_8));
    assertThat(s.statusCode()).isEqualTo(200);
    String text = s.body().lines().filter(l -> l.startsWith("data:")).map(l -> l.substring(5))
        .reduce("", String::concat);
    assertThat(text.replace(" ", "")).isEqualTo(DemoChatModel.ANSWER.replace(" ", ""));
    HttpResponse<String> health = get("/actuator/health/parapet");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(new ObjectMapper().readTree(health.body()).get("status").asText()).isEqualTo("UP");
  }
}
