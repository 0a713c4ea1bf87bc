package dev.parapet.guard.onnx.decoder;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A piece of a guard prompt: template text (tokenized with special tokens matched) or content written by a
 * user or an assistant (tokenized with special-token matching off, so it cannot forge prompt structure).
 */
record Segment(boolean content, String text) {
  Segment {
    requireNonNull(text, "text");
  }

  static Segment template(String text) {
    return new Segment(false, text);
  }

  static Segment content(String text) {
    return new Segment(true, text);
  }

  static String text(List<Segment> segments) {
    StringBuilder sb = new StringBuilder();
    for (Segment s : segments) {
      sb.append(s.text);
    }
    return sb.toString();
  }
}
