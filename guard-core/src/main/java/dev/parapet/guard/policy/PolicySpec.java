package dev.parapet.guard.policy;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The string form of a {@link Policy}: comma-separated {@code key=value} pairs, parsed strictly and
 * round-tripping through {@link Policy#toSpec()}.
 *
 * <pre>
 *   default=block@0.5, S6=flag@0.7, S14=off, severity=loose, onError=open
 * </pre>
 *
 * <ul>
 *   <li>{@code default} or a category code: {@code off}, {@code allow}, {@code flag[@t]}, {@code block[@t]},
 *       threshold {@code t} in [0, 1], 0.5 when omitted;
 *   <li>{@code severity}: {@code strict} or {@code loose};
 *   <li>{@code onError}: {@code closed} or {@code open};
 *   <li>{@code unsupported-language}: {@code flag} (default), {@code block} or {@code allow}: what a verdict
 *       gets when an English-only classifier judged text in another language.
 * </ul>
 *
 * Errors name the key and list the allowed values. Stateless (static methods only), so thread-safe.
 */
public final class PolicySpec {
  private PolicySpec() {}

  /**
   * Parses a spec.
   *
   * @throws IllegalArgumentException naming the offending key or value
   */
  public static Policy parse(String spec) {
    requireNonNull(spec, "spec");
    Policy.Builder b = Policy.builder();
    Set<String> seen = new HashSet<>();
    if (spec.isBlank()) {
      return b.build();
    }
    for (String part : spec.split(",", -1)) {
      String item = part.strip();
      if (item.isEmpty()) {
        throw new IllegalArgumentException("policy spec '" + spec + "' has an empty entry (two commas?)");
      }
      int eq = item.indexOf('=');
      if (eq <= 0 || eq == item.length() - 1) {
        throw new IllegalArgumentException("policy spec entry '" + item + "' must be key=value, e.g. S1=block@0.4");
      }
      String key = item.substring(0, eq).strip();
      String value = item.substring(eq + 1).strip();
      if (!seen.add(key)) {
        throw new IllegalArgumentException("policy spec key '" + key + "' is given twice");
      }
      switch (key) {
        case "severity":
          b.severityMode(parseEnum(key, value, SeverityMode.class));
          break;
        case "onError":
          b.failureMode(parseEnum(key, value, FailureMode.class));
          break;
        case "default":
          b.defaultRule(parseRule(key, value));
          break;
        case "unsupported-language":
          b.unsupportedLanguage(parseEnum(key, value, Action.class));
          break;
        default:
          if (!key.matches("[A-Za-z][A-Za-z0-9_-]{0,31}")) {
            throw new IllegalArgumentException("policy spec key '" + key
                + "' is not 'default', 'severity', 'onError', 'unsupported-language' or a category code (like S1)");
          }
          b.rule(key, parseRule(key, value));
      }
    }
    return b.build();
  }

  private static <E extends Enum<E>> E parseEnum(String key, String value, Class<E> type) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
    }
    StringBuilder allowed = new StringBuilder();
    for (E e : type.getEnumConstants()) {
      allowed.append(allowed.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
    }
    throw new IllegalArgumentException("policy spec key '" + key + "': '" + value + "' is not one of " + allowed);
  }

  private static Rule parseRule(String key, String value) {
    String v = value.toLowerCase(Locale.ROOT);
    if (v.equals("off") || v.equals("allow")) {
      return Rule.OFF;
    }
    String actionPart = v;
    double threshold = 0.5;
    int at = v.indexOf('@');
    if (at >= 0) {
      actionPart = v.substring(0, at);
      String t = v.substring(at + 1);
      try {
        threshold = Double.parseDouble(t);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("policy spec key '" + key + "': threshold '" + t + "' is not a number");
      }
      if (!(threshold >= 0 && threshold <= 1)) {
        throw new IllegalArgumentException("policy spec key '" + key + "': threshold " + t + " is not in [0, 1]");
      }
    }
    switch (actionPart) {
      case "flag":
        return Rule.flag(threshold);
      case "block":
        return Rule.block(threshold);
      default:
        throw new IllegalArgumentException("policy spec key '" + key + "': '" + value
            + "' is not one of off, allow, flag[@threshold], block[@threshold]");
    }
  }

  static String format(Policy p) {
    StringBuilder sb = new StringBuilder("default=").append(p.defaultRule().toSpec());
    for (Map.Entry<String, Rule> e : p.rules().entrySet()) {
      sb.append(", ").append(e.getKey()).append('=').append(e.getValue().toSpec());
    }
    if (p.severityMode() != SeverityMode.STRICT) {
      sb.append(", severity=").append(p.severityMode().name().toLowerCase(Locale.ROOT));
    }
    if (p.failureMode() != FailureMode.CLOSED) {
      sb.append(", onError=").append(p.failureMode().name().toLowerCase(Locale.ROOT));
    }
    if (p.unsupportedLanguage() != Action.FLAG) {
      sb.append(", unsupported-language=").append(p.unsupportedLanguage().name().toLowerCase(Locale.ROOT));
    }
    return sb.toString();
  }

  static String formatNumber(double d) {
    return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
  }
}
