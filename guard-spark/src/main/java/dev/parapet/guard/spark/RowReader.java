package dev.parapet.guard.spark;

import dev.parapet.guard.Conversation;
import dev.parapet.guard.Role;
import dev.parapet.guard.Turn;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Turns a row into the conversation to judge. Built on the driver from the input schema (so a missing column or
 * a wrong type fails at once, naming the column), then shipped with the task: it holds column positions only.
 */
final class RowReader implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String textName;
  private final int text;
  private final String responseName;
  private final int response;
  private final String conversationName;
  private final int conversation;
  private final int roleField;
  private final int contentField;

  private RowReader(String textName, int text, String responseName, int response, String conversationName,
      int conversation, int roleField, int contentField) {
    this.textName = textName;
    this.text = text;
    this.responseName = responseName;
    this.response = response;
    this.conversationName = conversationName;
    this.conversation = conversation;
    this.roleField = roleField;
    this.contentField = contentField;
  }

  /**
   * @throws IllegalArgumentException naming a missing column, or one of the wrong type, and the columns there are
   */
  static RowReader of(StructType schema, ModerationSpec spec) {
    if (spec.conversationColumn().isPresent()) {
      String name = spec.conversationColumn().get();
      int i = index(schema, name);
      DataType t = schema.fields()[i].dataType();
      if (!(t instanceof ArrayType a) || !(a.elementType() instanceof StructType turn)) {
        throw new IllegalArgumentException("conversation column '" + name + "' must be an array of structs "
            + "(role string, content string), was " + t.simpleString());
      }
      int role = field(turn, name, "role");
      int content = List.of(turn.fieldNames()).contains("content") ? field(turn, name, "content") : field(turn, name, "text");
      return new RowReader(null, -1, null, -1, name, i, role, content);
    }
    String textName = spec.textColumn().orElseThrow();
    int t = stringColumn(schema, textName);
    String responseName = spec.responseColumn().orElse(null);
    int r = responseName == null ? -1 : stringColumn(schema, responseName);
    return new RowReader(textName, t, responseName, r, null, -1, -1, -1);
  }

  /**
   * The conversation of {@code row}.
   *
   * @throws BadRowException for a null text or a malformed turn (the row gets an error, the job goes on)
   */
  Conversation conversation(Row row) {
    if (conversation >= 0) {
      return turns(row);
    }
    String prompt = string(row, text, textName);
    if (response < 0) {
      return Conversation.ofPrompt(prompt);
    }
    return Conversation.ofExchange(prompt, string(row, response, responseName));
  }

  private Conversation turns(Row row) {
    if (row.isNullAt(conversation)) {
      throw new BadRowException("conversation column '" + conversationName + "' is null: nothing to judge");
    }
    List<Row> items = row.getList(conversation);
    List<Turn> turns = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      Row item = items.get(i);
      if (item == null || item.isNullAt(roleField) || item.isNullAt(contentField)) {
        throw new BadRowException("conversation column '" + conversationName + "': turn " + i
            + " is null or lacks a role or content");
      }
      turns.add(new Turn(role(item.getString(roleField), i), item.getString(contentField)));
    }
    try {
      return Conversation.of(turns);
    } catch (IllegalArgumentException e) {
      throw new BadRowException("conversation column '" + conversationName + "': " + e.getMessage());
    }
  }

  private Role role(String r, int turn) {
    switch (r.trim().toLowerCase(Locale.ROOT)) {
      case "user":
      case "human":
        return Role.USER;
      case "assistant":
      case "model":
      case "bot":
        return Role.ASSISTANT;
      case "system":
        return Role.SYSTEM;
      case "tool":
        return Role.TOOL;
      default:
        throw new BadRowException("conversation column '" + conversationName + "': turn " + turn + " has role '"
            + r + "'; expected user, assistant, system or tool");
    }
  }

  private static String string(Row row, int i, String name) {
    if (row.isNullAt(i)) {
      throw new BadRowException("column '" + name + "' is null: nothing to judge");
    }
    return row.getString(i);
  }

  private static int stringColumn(StructType schema, String name) {
    int i = index(schema, name);
    DataType t = schema.fields()[i].dataType();
    if (!t.equals(DataTypes.StringType)) {
      throw new IllegalArgumentException("column '" + name + "' must be a string, was " + t.simpleString()
          + " (cast it first)");
    }
    return i;
  }

  private static int index(StructType schema, String name) {
    for (int i = 0; i < schema.fields().length; i++) {
      if (schema.fields()[i].name().equals(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no column '" + name + "' in the input; it has " + List.of(schema.fieldNames()));
  }

  private static int field(StructType turn, String column, String name) {
    for (int i = 0; i < turn.fields().length; i++) {
      StructField f = turn.fields()[i];
      if (f.name().equals(name)) {
        if (!f.dataType().equals(DataTypes.StringType)) {
          throw new IllegalArgumentException("conversation column '" + column + "': field '" + name
              + "' must be a string, was " + f.dataType().simpleString());
        }
        return i;
      }
    }
    throw new IllegalArgumentException("conversation column '" + column + "': its structs need a '" + name
        + "' field; they have " + List.of(turn.fieldNames()));
  }
}
