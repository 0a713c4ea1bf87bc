package dev.parapet.guard.taxonomy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The JSON form of a {@link Taxonomy}: strict reading (unknown or duplicate keys, wrong types and duplicate codes
 * are errors naming the line, column or path) and writing, and the canonical bytes its content hash is taken
 * over. One place for the format, as {@code PolicySpec} is for policies. Stateless; the mappers are immutable
 * once configured, so thread-safe.
 */
final class TaxonomyJson {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(SerializationFeature.INDENT_OUTPUT);
  /** Compact output: the hash must not depend on the indentation of the readable form. */
  private static final ObjectMapper CANONICAL = new ObjectMapper();
  private static final Set<String> TOP_KEYS = Set.of("name", "categories");
  private static final Set<String> CATEGORY_KEYS = Set.of("code", "name", "description", "examples", "aliases");

  private TaxonomyJson() {}

  /** The readable (indented) JSON form. */
  static String write(Taxonomy t) {
    try {
      return JSON.writeValueAsString(toNode(t));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize taxonomy " + t.name(), e);
    }
  }

  /** The compact form the content hash is computed over (names, codes, descriptions, examples, aliases, order). */
  static byte[] canonicalBytes(Taxonomy t) {
    try {
      return CANONICAL.writeValueAsBytes(toNode(t));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot hash taxonomy " + t.name(), e);
    }
  }

  private static ObjectNode toNode(Taxonomy t) {
    ObjectNode root = JSON.createObjectNode();
    root.put("name", t.name());
    ArrayNode cats = root.putArray("categories");
    for (Category c : t.categories()) {
      ObjectNode n = cats.addObject();
      n.put("code", c.code());
      n.put("name", c.name());
      n.put("description", c.description());
      if (!c.examples().isEmpty()) {
        ArrayNode ex = n.putArray("examples");
        c.examples().forEach(ex::add);
      }
      if (!c.aliases().isEmpty()) {
        ArrayNode al = n.putArray("aliases");
        c.aliases().forEach(al::add);
      }
    }
    return root;
  }

  static Taxonomy read(String text, String source) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
      throw new IllegalArgumentException(
          "taxonomy JSON " + source + " is malformed" + where + ": " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("taxonomy JSON " + source + " must be an object with keys " + TOP_KEYS);
    }
    checkKeys(root, TOP_KEYS, source, "");
    JsonNode nameNode = root.get("name");
    if (nameNode == null || !nameNode.isTextual() || nameNode.asText().isBlank()) {
      throw new IllegalArgumentException("taxonomy JSON " + source + ": key 'name' must be a non-empty string");
    }
    JsonNode cats = root.get("categories");
    if (cats == null || !cats.isArray()) {
      throw new IllegalArgumentException("taxonomy JSON " + source + ": key 'categories' must be an array");
    }
    List<Category> list = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < cats.size(); i++) {
      JsonNode c = cats.get(i);
      String path = "categories[" + i + "]";
      if (!c.isObject()) {
        throw new IllegalArgumentException("taxonomy JSON " + source + ": " + path + " must be an object");
      }
      checkKeys(c, CATEGORY_KEYS, source, path + ".");
      String code = requiredText(c, "code", source, path);
      String name = requiredText(c, "name", source, path);
      if (name.isBlank()) {
        throw new IllegalArgumentException(
            "taxonomy JSON " + source + ": " + path + ".name (category " + code + ") must not be empty");
      }
      if (!seen.add(code)) {
        throw new IllegalArgumentException(
            "taxonomy JSON " + source + ": " + path + ".code: duplicate category code " + code);
      }
      JsonNode d = c.get("description");
      if (d != null && !d.isTextual()) {
        throw new IllegalArgumentException("taxonomy JSON " + source + ": " + path + ".description must be a string");
      }
      try {
        list.add(new Category(code, name, d == null ? "" : d.asText(),
            stringList(c, "examples", source, path), stringList(c, "aliases", source, path)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("taxonomy JSON " + source + ": " + path + ": " + e.getMessage(), e);
      }
    }
    try {
      return Taxonomy.of(nameNode.asText(), list);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("taxonomy JSON " + source + ": " + e.getMessage(), e);
    }
  }

  private static void checkKeys(JsonNode node, Set<String> allowed, String source, String prefix) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException("taxonomy JSON " + source + ": unknown key '" + prefix + key
            + "'; allowed keys are " + allowed.stream().sorted().toList());
      }
    }
  }

  private static String requiredText(JsonNode node, String key, String source, String path) {
    JsonNode v = node.get(key);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(
          "taxonomy JSON " + source + ": " + path + "." + key + " is required and must be a string");
    }
    return v.asText();
  }

  private static List<String> stringList(JsonNode node, String key, String source, String path) {
    JsonNode v = node.get(key);
    if (v == null) {
      return List.of();
    }
    if (!v.isArray()) {
      throw new IllegalArgumentException(
          "taxonomy JSON " + source + ": " + path + "." + key + " must be an array of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw new IllegalArgumentException(
            "taxonomy JSON " + source + ": " + path + "." + key + " must be an array of strings");
      }
      out.add(e.asText());
    }
    return out;
  }
}
