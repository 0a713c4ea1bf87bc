package dev.parapet.guard.eval;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * A small RFC 4180 CSV reader: comma-separated, fields optionally in double quotes, {@code ""} an escaped quote,
 * quoted fields may span lines. Not thread-safe.
 */
public final class Csv {
  private final Reader in;
  private int peeked = -2;
  private long line = 1;

  public Csv(Reader in) {
    this.in = requireNonNull(in, "in");
  }

  /** The 1-based line on which the next record starts. */
  public long line() {
    return line;
  }

  /**
   * The next record, or null at the end.
   *
   * @throws IOException on a read error, or an unterminated quoted field (naming its line)
   */
  public List<String> next() throws IOException {
    int c = read();
    if (c == -1) {
      return null;
    }
    List<String> fields = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    long start = line;
    while (true) {
      if (c == '"' && f.length() == 0) {
        while (true) {
          c = read();
          if (c == -1) {
            throw new IOException("unterminated quoted field starting on line " + start);
          }
          if (c == '"') {
            int n = peek();
            if (n == '"') {
              read();
              f.append('"');
            } else {
              break;
            }
          } else {
            if (c == '\n') {
              line++;
            }
            f.append((char) c);
          }
        }
        c = read();
      }
      if (c == ',') {
        fields.add(f.toString());
        f.setLength(0);
        c = read();
        continue;
      }
      if (c == '\r' && peek() == '\n') {
        c = read();
      }
      if (c == '\n' || c == -1) {
        if (c == '\n') {
          line++;
        }
        fields.add(f.toString());
        return fields;
      }
      f.append((char) c);
      c = read();
    }
  }

  private int read() throws IOException {
    if (peeked != -2) {
      int c = peeked;
      peeked = -2;
      return c;
    }
    return in.read();
  }

  private int peek() throws IOException {
    if (peeked == -2) {
      peeked = in.read();
    }
    return peeked;
  }
}
