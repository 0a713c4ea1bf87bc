package dev.parapet.guard.server;

import java.util.Map;

/**
 * A request the server answers with an error: the HTTP status and an OpenAI-shaped error body
 * ({@code {"error": {"message", "type", "param", "code"}}}). Messages name the field and say what to send; they
 * never carry a stack trace.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String type;
  final String param;
  final String code;
  final transient Map<String, String> headers;

  ApiException(int status, String type, String param, String code, String message, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.headers = Map.copyOf(headers);
  }

  /** 400 naming the field ({@code param}, e.g. {@code input[2]} or {@code messages[0].role}). */
  static ApiException invalid(String param, String message) {
    return new ApiException(400, "invalid_request_error", param, "invalid_value", message, Map.of());
  }

  static ApiException notFound(String message) {
    return new ApiException(404, "not_found_error", null, "not_found", message, Map.of());
  }
}
