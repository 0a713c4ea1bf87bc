package dev.parapet.guard.onnx.testing;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A hand-written ONNX protobuf writer (wire format, no protobuf dependency) with a small graph builder: enough
 * of ModelProto / GraphProto / NodeProto / AttributeProto / TensorProto / ValueInfoProto to write test models
 * (opset 17, IR version 8). Field numbers follow onnx/onnx.proto3. Not thread-safe.
 */
public final class OnnxGraph {
  /** TensorProto.DataType values used here. */
  public static final int FLOAT = 1;
  public static final int UINT8 = 2;
  public static final int INT32 = 6;
  public static final int INT64 = 7;
  public static final int BOOL = 9;
  public static final int FLOAT16 = 10;

  private final String name;
  private final List<Msg> nodes = new ArrayList<>();
  private final List<Msg> initializers = new ArrayList<>();
  private final List<Msg> inputs = new ArrayList<>();
  private final List<Msg> outputs = new ArrayList<>();
  private int counter;
  private boolean usesMicrosoftDomain;
  private External external;

  /** Writes one tensor's raw little-endian bytes (for tensors too big to build as one array). */
  @FunctionalInterface
  public interface Body {
    void writeTo(java.io.OutputStream out) throws java.io.IOException;
  }

  /** The external data file: tensors are appended as they are declared, so the heap never holds them all. */
  private static final class External {
    final String location;
    final long minBytes;
    final java.io.OutputStream out;
    long position;

    External(java.nio.file.Path file, long minBytes) throws java.io.IOException {
      this.location = file.getFileName().toString();
      this.minBytes = minBytes;
      this.out = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(file), 1 << 20);
    }
  }

  public OnnxGraph(String name) {
    this.name = requireNonNull(name, "name");
  }

  /** A fresh, unique value name with the given prefix. */
  public String fresh(String prefix) {
    return prefix + "_" + (counter++);
  }

  /**
   * Declares a graph input. Each dim is a {@link Long}/{@link Integer} (fixed) or a {@link String} (symbolic).
   */
  public OnnxGraph input(String name, int elemType, Object... dims) {
    inputs.add(valueInfo(name, elemType, dims));
    return this;
  }

  public OnnxGraph output(String name, int elemType, Object... dims) {
    outputs.add(valueInfo(name, elemType, dims));
    return this;
  }

  /**
   * Stores every later initializer of at least {@code minBytes} in {@code file} (ONNX external data, as exports
   * over protobuf's 2 GB limit do; the file must sit beside the model file, which names it by file name).
   * Offsets are 4 KiB-aligned so ONNX Runtime may map them. {@link #writeTo} closes the file.
   */
  public OnnxGraph externalData(java.nio.file.Path file, long minBytes) {
    requireNonNull(file, "file");
    if (external != null) {
      throw new IllegalStateException("external data already goes to " + external.location);
    }
    try {
      external = new External(file, minBytes);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return this;
  }

  /**
   * An initializer whose bytes {@code body} writes ({@code bytes} of them): streamed to the external data file
   * when one is set and the tensor is big enough, else collected in memory.
   */
  public String tensor(String name, int elemType, long bytes, Body body, long... dims) {
    try {
      if (external != null && bytes >= external.minBytes) {
        long pad = (4096 - external.position % 4096) % 4096;
        for (long i = 0; i < pad; i++) {
          external.out.write(0);
        }
        external.position += pad;
        long offset = external.position;
        CountingStream counted = new CountingStream(external.out);
        body.writeTo(counted);
        if (counted.count != bytes) {
          throw new IllegalStateException(name + ": wrote " + counted.count + " bytes, declared " + bytes);
        }
        external.position += bytes;
        Msg t = new Msg();
        for (long d : dims) {
          t.varintField(1, d);
        }
        t.varintField(2, elemType);
        t.string(8, name);
        t.message(13, entry("location", external.location));
        t.message(13, entry("offset", Long.toString(offset)));
        t.message(13, entry("length", Long.toString(bytes)));
        t.varintField(14, 1); // data_location = EXTERNAL
        initializers.add(t);
        return name;
      }
      ByteArrayOutputStream buf = new ByteArrayOutputStream(Math.toIntExact(bytes));
      body.writeTo(buf);
      initializers.add(tensor(name, elemType, dims, buf.toByteArray()));
      return name;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(name + ": cannot write the tensor", e);
    }
  }

  private static Msg entry(String key, String value) {
    Msg m = new Msg();
    m.string(1, key);
    m.string(2, value);
    return m;
  }

  /** Counts what passes through (to check a body wrote what it declared). */
  private static final class CountingStream extends java.io.FilterOutputStream {
    long count;

    CountingStream(java.io.OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws java.io.IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws java.io.IOException {
      out.write(b, off, len);
      count += len;
    }
  }

  /** A float initializer (stored as raw little-endian bytes). */
  public String floats(String name, float[] data, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) {
      b.putFloat(f);
    }
    return raw(name, FLOAT, b.array(), dims);
  }

  /** An initializer of any element type from its raw little-endian bytes (kept, not copied twice). */
  public String raw(String name, int elemType, byte[] data, long... dims) {
    if (external != null && data.length >= external.minBytes) {
      return tensor(name, elemType, data.length, out -> out.write(data), dims);
    }
    initializers.add(tensor(name, elemType, dims, data));
    return name;
  }

  /** An int64 initializer. */
  public String longs(String name, long[] data, long... dims) {
    ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : data) {
      b.putLong(v);
    }
    initializers.add(tensor(name, INT64, dims, b.array()));
    return name;
  }

  /** A 1-D int64 constant initializer with a fresh name. */
  public String constLongs(long... values) {
    return longs(fresh("c"), values, values.length);
  }

  /** A scalar float constant initializer with a fresh name. */
  public String constFloat(float value) {
    return floats(fresh("cf"), new float[] {value});
  }

  /** Adds a node; returns its first output. Attributes come from {@link #attrInt} and friends. */
  public String node(String opType, List<String> in, List<String> out, Msg... attributes) {
    Msg n = new Msg();
    for (String i : in) {
      n.string(1, i);
    }
    for (String o : out) {
      n.string(2, o);
    }
    n.string(3, fresh(opType));
    n.string(4, opType);
    for (Msg a : attributes) {
      n.message(5, a);
    }
    nodes.add(n);
    return out.isEmpty() ? null : out.get(0);
  }

  /** Adds a node of the {@code com.microsoft} contrib domain (MatMulNBits); returns its first output. */
  public String msNode(String opType, List<String> in, List<String> out, Msg... attributes) {
    node(opType, in, out, attributes);
    nodes.get(nodes.size() - 1).string(7, "com.microsoft");
    usesMicrosoftDomain = true;
    return out.isEmpty() ? null : out.get(0);
  }

  /** Adds a one-output node with a fresh output name. */
  public String op(String opType, List<String> in, Msg... attributes) {
    return node(opType, in, List.of(fresh(opType.toLowerCase())), attributes);
  }

  public static Msg attrInt(String name, long v) {
    Msg a = new Msg();
    a.string(1, name);
    a.varintField(3, v);
    a.varintField(20, 2);
    return a;
  }

  public static Msg attrFloat(String name, float v) {
    Msg a = new Msg();
    a.string(1, name);
    a.fixed32(2, Float.floatToIntBits(v));
    a.varintField(20, 1);
    return a;
  }

  public static Msg attrInts(String name, long... vs) {
    Msg a = new Msg();
    a.string(1, name);
    for (long v : vs) {
      a.varintField(8, v);
    }
    a.varintField(20, 7);
    return a;
  }

  /** The serialized ModelProto. */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writeTo(out);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Writes the ModelProto to {@code out} without building it in memory first (a size-faithful decoder is over a
   * gigabyte: the graph's length is computed from its parts, which are then streamed).
   */
  public void writeTo(java.io.OutputStream out) throws java.io.IOException {
    if (external != null) {
      external.out.close();
    }
    List<Object[]> parts = new ArrayList<>(); // {field, Msg}
    for (Msg n : nodes) {
      parts.add(new Object[] {1, n});
    }
    Msg graphName = new Msg();
    graphName.string(2, name);
    for (Msg t : initializers) {
      parts.add(new Object[] {5, t});
    }
    for (Msg i : inputs) {
      parts.add(new Object[] {11, i});
    }
    for (Msg o : outputs) {
      parts.add(new Object[] {12, o});
    }
    long graphLen = graphName.size();
    for (Object[] p : parts) {
      graphLen += Msg.fieldSize((Integer) p[0], ((Msg) p[1]).size());
    }
    Msg head = new Msg();
    head.varintField(1, 8); // ir_version
    head.string(2, "parapet-test-fixture");
    head.tag(7, 2);
    head.varint(graphLen);
    head.writeTo(out);
    graphName.writeTo(out);
    for (Object[] p : parts) {
      Msg m = (Msg) p[1];
      Msg t = new Msg();
      t.tag((Integer) p[0], 2);
      t.varint(m.size());
      t.writeTo(out);
      m.writeTo(out);
    }
    Msg tail = new Msg();
    Msg opset = new Msg();
    opset.string(1, "");
    opset.varintField(2, 17);
    tail.message(8, opset);
    if (usesMicrosoftDomain) {
      Msg ms = new Msg();
      ms.string(1, "com.microsoft");
      ms.varintField(2, 1);
      tail.message(8, ms);
    }
    tail.writeTo(out);
  }

  private static Msg tensor(String name, int type, long[] dims, byte[] raw) {
    Msg t = new Msg();
    for (long d : dims) {
      t.varintField(1, d);
    }
    t.varintField(2, type);
    t.string(8, name);
    t.bytesField(9, raw);
    return t;
  }

  private static Msg valueInfo(String name, int elemType, Object... dims) {
    Msg shape = new Msg();
    for (Object d : dims) {
      Msg dim = new Msg();
      if (d instanceof String s) {
        dim.string(2, s);
      } else {
        dim.varintField(1, ((Number) d).longValue());
      }
      shape.message(1, dim);
    }
    Msg tensorType = new Msg();
    tensorType.varintField(1, elemType);
    tensorType.message(2, shape);
    Msg type = new Msg();
    type.message(1, tensorType);
    Msg vi = new Msg();
    vi.string(1, name);
    vi.message(2, type);
    return vi;
  }

  /** A protobuf message under construction (wire format). */
  public static final class Msg {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    void varint(long v) {
      while ((v & ~0x7FL) != 0) {
        out.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }

    void tag(int field, int wireType) {
      varint(((long) field << 3) | wireType);
    }

    void varintField(int field, long v) {
      tag(field, 0);
      varint(v);
    }

    void fixed32(int field, int bits) {
      tag(field, 5);
      for (int i = 0; i < 4; i++) {
        out.write((bits >>> (8 * i)) & 0xFF);
      }
    }

    void bytesField(int field, byte[] b) {
      tag(field, 2);
      varint(b.length);
      out.writeBytes(b);
    }

    void string(int field, String s) {
      bytesField(field, s.getBytes(StandardCharsets.UTF_8));
    }

    void message(int field, Msg m) {
      bytesField(field, m.bytes());
    }

    byte[] bytes() {
      return out.toByteArray();
    }

    long size() {
      return out.size();
    }

    void writeTo(java.io.OutputStream o) throws java.io.IOException {
      out.writeTo(o);
    }

    static int varintSize(long v) {
      int n = 1;
      while ((v & ~0x7FL) != 0) {
        n++;
        v >>>= 7;
      }
      return n;
    }

    /** Bytes of a length-delimited field with a payload of {@code len} bytes. */
    static long fieldSize(int field, long len) {
      return varintSize(((long) field << 3) | 2) + varintSize(len) + len;
    }
  }
}
