package org.visionserve.export.weights;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes checkpoints the way {@code torch.save} does (PyTorch >= 1.6, pickle protocol 2): a zip of
 * stored (uncompressed) entries {@code <archive>/data.pkl}, {@code <archive>/byteorder},
 * {@code <archive>/data/<key>} and {@code <archive>/version}. The pickle is written opcode by
 * opcode as CPython's pickler emits it for a state dict: {@code collections.OrderedDict} by REDUCE
 * then SETITEMS, each tensor as {@code torch._utils._rebuild_tensor_v2} applied to
 * (BINPERSID storage tuple, offset, size, stride, False, OrderedDict()), the {@code _metadata}
 * attribute by BUILD, and globals memoised (BINPUT / BINGET).
 */
public final class TorchCheckpointWriter {

    /** A tensor entry: a view of storage {@code storageKey}. */
    record View(String storageKey, long offset, long[] size, long[] stride) {
    }

    private record StorageData(String type, long numel, byte[] bytes) {
    }

    private final Map<String, StorageData> storages = new LinkedHashMap<>();
    private final Map<String, View> tensors = new LinkedHashMap<>();

    /** Adds a storage: {@code type} is the torch class ({@code FloatStorage}, {@code HalfStorage}...). */
    public TorchCheckpointWriter storage(String key, String type, int elemSize, byte[] bytes) {
        storages.put(key, new StorageData(type, bytes.length / elemSize, bytes));
        return this;
    }

    public TorchCheckpointWriter tensor(String name, String storageKey, long offset, long[] size, long[] stride) {
        tensors.put(name, new View(storageKey, offset, size, stride));
        return this;
    }

    /** A contiguous float32 tensor in its own storage. */
    public TorchCheckpointWriter f32(String name, long[] shape, float[] values) {
        String key = Integer.toString(storages.size());
        storage(key, "FloatStorage", 4, floatBytes(values));
        return tensor(name, key, 0, shape, contiguousStride(shape));
    }

    public static byte[] floatBytes(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    public static long[] contiguousStride(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            stride[d] = s;
            s *= shape[d];
        }
        return stride;
    }

    /** Writes the state dict, or {@code {nestUnder: state_dict, "epoch": 7}} when {@code nestUnder} is given. */
    public void write(Path file, String nestUnder) throws IOException {
        Pickle p = new Pickle();
        p.proto();
        if (nestUnder != null) {
            p.op(Pickle.EMPTY_DICT);
            p.op(Pickle.MARK);
            p.str(nestUnder);
        }
        stateDict(p);
        if (nestUnder != null) {
            p.str("epoch");
            p.integer(7);
            p.op(Pickle.SETITEMS);
        }
        p.op(Pickle.STOP);
        writeArchive(file, p.bytes());
    }

    private void stateDict(Pickle p) {
        p.global("collections", "OrderedDict");
        p.op(Pickle.EMPTY_TUPLE);
        p.reduce();
        p.op(Pickle.MARK);
        for (var e : tensors.entrySet()) {
            p.str(e.getKey());
            View v = e.getValue();
            StorageData s = storages.get(v.storageKey());
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op(Pickle.MARK);
            p.op(Pickle.MARK);
            p.str("storage");
            p.global("torch", s.type());
            p.str(v.storageKey());
            p.str("cpu");
            p.integer(s.numel());
            p.op(Pickle.TUPLE);
            p.memo();
            p.op(Pickle.BINPERSID);
            p.integer(v.offset());
            p.tuple(v.size());
            p.tuple(v.stride());
            p.op(Pickle.NEWFALSE);
            p.global("collections", "OrderedDict");
            p.op(Pickle.EMPTY_TUPLE);
            p.reduce();
            p.op(Pickle.TUPLE);
            p.memo();
            p.reduce();
        }
        p.op(Pickle.SETITEMS);
        // state: {'_metadata': OrderedDict({'': {'version': 1}})}, set by BUILD
        p.op(Pickle.EMPTY_DICT);
        p.memo();
        p.str("_metadata");
        p.global("collections", "OrderedDict");
        p.op(Pickle.EMPTY_TUPLE);
        p.reduce();
        p.str("");
        p.op(Pickle.EMPTY_DICT);
        p.memo();
        p.str("version");
        p.integer(1);
        p.op(Pickle.SETITEM);
        p.op(Pickle.SETITEM);
        p.op(Pickle.SETITEM);
        p.op(Pickle.BUILD);
    }

    private void writeArchive(Path file, byte[] pickle) throws IOException {
        String archive = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(archive + "/data.pkl", pickle);
        entries.put(archive + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        for (var s : storages.entrySet()) {
            entries.put(archive + "/data/" + s.getKey(), s.getValue().bytes());
        }
        entries.put(archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        writeZip(file, entries);
    }

    /** A zip of stored entries, as torch writes them. */
    static void writeZip(Path file, Map<String, byte[]> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (var e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                ze.setCrc(crc.getValue());
                zip.putNextEntry(ze);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
    }

    /** A protocol-2 pickle, opcode by opcode. */
    static final class Pickle {
        static final int MARK = '(';
        static final int STOP = '.';
        static final int TUPLE = 't';
        static final int EMPTY_TUPLE = ')';
        static final int EMPTY_DICT = '}';
        static final int SETITEM = 's';
        static final int SETITEMS = 'u';
        static final int BUILD = 'b';
        static final int REDUCE = 'R';
        static final int BINPERSID = 'Q';
        static final int NEWFALSE = 0x89;
        static final int STACK_GLOBAL = 0x93;

        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final Map<String, Integer> globals = new HashMap<>();
        private int memoSize;

        void op(int code) {
            out.write(code);
        }

        void proto() {
            out.write(0x80);
            out.write(2);
        }

        /** BINPUT: remembers the top of the stack under the next memo index. */
        void memo() {
            indexed('q', 'r', memoSize++);
        }

        /** The 1-byte opcode for indices below 256, the 4-byte (LONG_) one above. */
        private void indexed(int shortOp, int longOp, int index) {
            if (index < 256) {
                out.write(shortOp);
                out.write(index);
            } else {
                out.write(longOp);
                out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(index).array());
            }
        }

        /** GLOBAL the first time (memoised), BINGET after, as the pickler does. */
        void global(String module, String name) {
            Integer idx = globals.get(module + "." + name);
            if (idx != null) {
                indexed('h', 'j', idx);
                return;
            }
            out.write('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            globals.put(module + "." + name, memoSize);
            memo();
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
            out.writeBytes(b);
        }

        void integer(long n) {
            if (n >= 0 && n < 256) {
                out.write('K');
                out.write((int) n);
            } else if (n >= 0 && n < 65536) {
                out.write('M');
                out.write((int) (n & 0xff));
                out.write((int) (n >> 8));
            } else if (n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
                out.write('J');
                out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) n).array());
            } else {
                out.write(0x8a); // LONG1
                out.write(8);
                out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
            }
        }

        /** A tuple of ints: TUPLE1/2/3 for short ones, MARK ... TUPLE otherwise, as the pickler does. */
        void tuple(long[] values) {
            if (values.length == 0) {
                out.write(EMPTY_TUPLE);
                return;
            }
            if (values.length > 3) {
                out.write(MARK);
            }
            for (long v : values) {
                integer(v);
            }
            out.write(values.length > 3 ? TUPLE : 0x85 + values.length - 1);
        }

        void reduce() {
            out.write(REDUCE);
            memo();
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
