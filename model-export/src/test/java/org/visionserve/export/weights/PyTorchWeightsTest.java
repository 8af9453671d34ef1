package org.visionserve.export.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reads torch.save zip checkpoints written by {@link TorchCheckpointWriter}, and refuses what it must. */
class PyTorchWeightsTest {

    @TempDir
    Path dir;

    private static final long[] SCALAR = {};

    @Test
    void loadsF32F16Bf16AndViewsExactlyFromANestedModelDict() throws IOException {
        float[] shared = {0f, 1f, 2f, 3f, 4f, 5f, 6.5f, -7f, 8f, 9f, 1e-30f, -3.4e38f};
        short[] half = {0x3E00, (short) 0xB400, 0x7BFF, 0x0001, 0x0000, (short) 0xC000};
        short[] bf16 = {0x3F80, (short) 0xC060, 0x7F7F, 0x0001};
        TorchCheckpointWriter ck = new TorchCheckpointWriter()
                .storage("0", "FloatStorage", 4, TorchCheckpointWriter.floatBytes(shared))
                // a [2,3] view at the start of storage 0 and a [4] view at offset 6 of the same storage
                .tensor("a.weight", "0", 0, new long[] {2, 3}, new long[] {3, 1})
                .tensor("a.bias", "0", 6, new long[] {4}, new long[] {1})
                // a transposed (non-contiguous) view: [3, 2] with stride (1, 3) reads shared[j * 3 + i]
                .tensor("t.weight", "0", 0, new long[] {3, 2}, new long[] {1, 3})
                .storage("1", "HalfStorage", 2, shorts(half))
                .tensor("h.weight", "1", 0, new long[] {2, 3}, new long[] {3, 1})
                .storage("2", "BFloat16Storage", 2, shorts(bf16))
                .tensor("b.weight", "2", 0, new long[] {2, 2}, new long[] {2, 1})
                .storage("3", "LongStorage", 8, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(42).array())
                .tensor("bn.num_batches_tracked", "3", 0, SCALAR, SCALAR);
        Path file = dir.resolve("nested.pth");
        ck.write(file, "model");

        PyTorchWeights w = PyTorchWeights.open(file);
        assertThat(w.keys()).containsExactly("a.weight", "a.bias", "t.weight", "h.weight", "b.weight",
                "bn.num_batches_tracked");
        assertThat(w.load("a.weight", new long[] {2, 3}).toFloatArray()).containsExactly(0f, 1f, 2f, 3f, 4f, 5f);
        assertThat(w.load("a.bias", new long[] {4}).toFloatArray()).containsExactly(6.5f, -7f, 8f, 9f);
        assertThat(w.load("t.weight", new long[] {3, 2}).toFloatArray()).containsExactly(0f, 3f, 1f, 4f, 2f, 5f);
        assertThat(w.load("h.weight", new long[] {2, 3}).toFloatArray())
                .containsExactly(1.5f, -0.25f, 65504f, 0x1.0p-24f, 0f, -2f);
        assertThat(w.load("b.weight", new long[] {2, 2}).toFloatArray()).containsExactly(1f, -3.5f,
                Float.intBitsToFloat(0x7F7F << 16), Float.intBitsToFloat(1 << 16));
        assertThat(w.provenance().format()).isEqualTo("pytorch");
        assertThat(w.provenance().file()).isEqualTo("nested.pth");
        assertThat(w.provenance().sha256()).hasSize(64);
        assertThat(w.provenance().note()).contains("'model'");
        w.verifyComplete(List.of("a.weight", "a.bias", "t.weight", "h.weight", "b.weight", "bn.num_batches_tracked"));
    }

    @Test
    void prefersStateDictAndStripsTheDataParallelPrefix() throws IOException {
        Path file = dir.resolve("ddp.pt");
        new TorchCheckpointWriter()
                .f32("module.fc.weight", new long[] {1, 2}, new float[] {1f, 2f})
                .f32("module.fc.bias", new long[] {1}, new float[] {3f})
                .write(file, "state_dict");
        PyTorchWeights w = PyTorchWeights.open(file);
        assertThat(w.keys()).containsExactly("fc.weight", "fc.bias");
        assertThat(w.load("fc.bias", new long[] {1}).toFloatArray()).containsExactly(3f);
        assertThat(w.provenance().note()).contains("'state_dict'").contains("module.");
    }

    @Test
    void aPlainStateDictNeedsNoNote() throws IOException {
        Path file = dir.resolve("plain.bin");
        new TorchCheckpointWriter().f32("w", new long[] {2}, new float[] {-1f, 1f}).write(file, null);
        CheckpointWeights w = Checkpoints.open(file);
        assertThat(w).isInstanceOf(PyTorchWeights.class);
        assertThat(w.load("w", new long[] {2}).toFloatArray()).containsExactly(-1f, 1f);
        assertThat(w.provenance().note()).isNull();
    }

    @Test
    void missingUnexpectedAndMisShapedKeysFailNamingTheKey() throws IOException {
        Path file = dir.resolve("keys.pth");
        new TorchCheckpointWriter()
                .f32("fc.weight", new long[] {2, 3}, new float[6])
                .f32("fc.extra", new long[] {1}, new float[1])
                .write(file, null);
        PyTorchWeights w = PyTorchWeights.open(file);
        assertThatThrownBy(() -> w.load("fc.bias", new long[] {2}))
                .isInstanceOf(WeightsException.class).hasMessageContaining("missing key 'fc.bias'");
        assertThatThrownBy(() -> w.load("fc.weight", new long[] {3, 2}))
                .isInstanceOf(WeightsException.class).hasMessageContaining("'fc.weight' has shape [2, 3]");
        assertThatThrownBy(() -> w.verifyComplete(List.of("fc.weight")))
                .isInstanceOf(WeightsException.class).hasMessageContaining("fc.extra");
    }

    @Test
    void refusesGlobalsAStateDictDoesNotNeed() throws IOException {
        // GLOBAL 'builtins eval' then ('__import__("os").system("...")',) REDUCE: code execution in Python
        TorchCheckpointWriter.Pickle eval = new TorchCheckpointWriter.Pickle();
        eval.proto();
        eval.global("builtins", "eval");
        eval.str("__import__('os').system('touch pwned')");
        eval.op(0x85); // TUPLE1
        eval.reduce();
        eval.op(TorchCheckpointWriter.Pickle.STOP);
        assertRefused(eval.bytes(), "'builtins.eval'");

        // protocol 4 spelling: STACK_GLOBAL takes module and name from the stack
        TorchCheckpointWriter.Pickle system = new TorchCheckpointWriter.Pickle();
        system.proto();
        system.str("os");
        system.str("system");
        system.op(TorchCheckpointWriter.Pickle.STACK_GLOBAL);
        system.str("touch pwned");
        system.op(0x85);
        system.reduce();
        system.op(TorchCheckpointWriter.Pickle.STOP);
        assertRefused(system.bytes(), "'os.system'");

        // INST builds a class instance without a GLOBAL: refused as an opcode
        byte[] inst = "(ios\nsystem\n.".getBytes(StandardCharsets.US_ASCII);
        assertRefused(inst, "opcode INST (0x69)");
        assertThat(dir.resolve("pwned")).doesNotExist();
        assertThat(Path.of("pwned")).doesNotExist();
    }

    /** One protocol step of building the state dict: pushes what the next opcodes expect. */
    private interface Ops extends java.util.function.Consumer<TorchCheckpointWriter.Pickle> {
    }

    /** OrderedDict(), as the pickler writes it: GLOBAL, empty args, REDUCE. */
    private static final Ops REDUCE_ORDERED_DICT = p -> {
        p.global("collections", "OrderedDict");
        p.op(TorchCheckpointWriter.Pickle.EMPTY_TUPLE);
        p.reduce();
    };

    /** The storage as torch.save refers to it: BINPERSID ('storage', torch.FloatStorage, '0', 'cpu', 2). */
    private static final Ops STORAGE_ID = p -> {
        p.op(TorchCheckpointWriter.Pickle.MARK);
        p.str("storage");
        p.global("torch", "FloatStorage");
        p.str("0");
        p.str("cpu");
        p.integer(2);
        p.op(TorchCheckpointWriter.Pickle.TUPLE);
        p.op(TorchCheckpointWriter.Pickle.BINPERSID);
    };

    /**
     * {@code OrderedDict(w=tensor([1.5, -2.0]))} with the dict built by {@code dict} and the storage
     * fetched by {@code storage}: with the defaults this loads, so a refusal is the variant's doing.
     */
    private Path oneTensorCheckpoint(Ops dict, Ops storage) throws IOException {
        TorchCheckpointWriter.Pickle p = new TorchCheckpointWriter.Pickle();
        p.proto();
        dict.accept(p);
        p.op(TorchCheckpointWriter.Pickle.MARK);
        p.str("w");
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.op(TorchCheckpointWriter.Pickle.MARK);
        storage.accept(p);
        p.integer(0);
        p.tuple(new long[] {2});
        p.tuple(new long[] {1});
        p.op(TorchCheckpointWriter.Pickle.NEWFALSE);
        REDUCE_ORDERED_DICT.accept(p);
        p.op(TorchCheckpointWriter.Pickle.TUPLE);
        p.reduce();
        p.op(TorchCheckpointWriter.Pickle.SETITEMS);
        p.op(TorchCheckpointWriter.Pickle.STOP);
        Path file = dir.resolve("ck.pth");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("ck/data.pkl", p.bytes());
        entries.put("ck/data/0", TorchCheckpointWriter.floatBytes(1.5f, -2f));
        TorchCheckpointWriter.writeZip(file, entries);
        return file;
    }

    @Test
    void theOpcodeTestsControlCheckpointLoads() throws IOException {
        PyTorchWeights w = PyTorchWeights.open(oneTensorCheckpoint(REDUCE_ORDERED_DICT, STORAGE_ID));
        assertThat(w.load("w", new long[] {2}).toFloatArray()).containsExactly(1.5f, -2f);
    }

    /**
     * Each opcode that instantiates a class or fetches a callable without a global the allow-list
     * checks is refused when it is met, before anything is built from it: here each one builds the
     * state dict's OrderedDict (an allowed class) in place of GLOBAL + REDUCE, so the refusal is the
     * opcode's, not the class's.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"OBJ, 6f", "NEWOBJ, 81", "NEWOBJ_EX, 92", "EXT1, 82", "EXT2, 83", "EXT4, 84"})
    void refusesOpcodesThatBuildObjectsWithoutAnAllowedGlobal(String name, String hex) throws IOException {
        int code = Integer.parseInt(hex, 16);
        Ops dict = switch (name) {
            case "OBJ" -> p -> { // protocol 1: MARK cls args... OBJ calls cls(*args)
                p.op(TorchCheckpointWriter.Pickle.MARK);
                p.global("collections", "OrderedDict");
                p.op(code);
            };
            case "NEWOBJ" -> p -> { // protocol 2: cls args NEWOBJ calls cls.__new__(cls, *args)
                p.global("collections", "OrderedDict");
                p.op(TorchCheckpointWriter.Pickle.EMPTY_TUPLE);
                p.op(code);
            };
            case "NEWOBJ_EX" -> p -> { // protocol 4: cls args kwargs NEWOBJ_EX
                p.global("collections", "OrderedDict");
                p.op(TorchCheckpointWriter.Pickle.EMPTY_TUPLE);
                p.op(TorchCheckpointWriter.Pickle.EMPTY_DICT);
                p.op(code);
            };
            default -> p -> { // EXTn <code>: the callable registered under that code by copyreg.add_extension
                p.op(code);
                int width = name.equals("EXT1") ? 1 : name.equals("EXT2") ? 2 : 4;
                for (int i = 0; i < width; i++) {
                    p.op(i == 0 ? 1 : 0);
                }
                p.op(TorchCheckpointWriter.Pickle.EMPTY_TUPLE);
                p.reduce();
            };
        };
        Path file = oneTensorCheckpoint(dict, STORAGE_ID);
        assertThatThrownBy(() -> PyTorchWeights.open(file))
                .isInstanceOf(WeightsException.class)
                .hasMessageContaining("opcode " + name + " (0x" + hex + ")")
                .hasMessageContaining("refused")
                .hasNoCause();
    }

    /** torch.save hands storages over BINPERSID as a 5-tuple; a text PERSID id is never a storage. */
    @Test
    void refusesPersid() throws IOException {
        Path file = oneTensorCheckpoint(REDUCE_ORDERED_DICT, p -> {
            p.op('P'); // PERSID "0\n"
            p.op('0');
            p.op('\n');
        });
        assertThatThrownBy(() -> PyTorchWeights.open(file))
                .isInstanceOf(WeightsException.class)
                .hasMessageContaining("opcode PERSID (0x50)")
                .hasMessageContaining("refused")
                .hasNoCause();
    }

    /** BINPERSID is how storages arrive; any persistent id that is not a storage tuple is refused. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"a string id", "the storage type as a string", "another tag", "no numel", "an int key"})
    void refusesBinpersidThatIsNotATensorStorage(String variant) throws IOException {
        Ops id = p -> {
            if (variant.equals("a string id")) {
                p.str("0");
                p.op(TorchCheckpointWriter.Pickle.BINPERSID);
                return;
            }
            p.op(TorchCheckpointWriter.Pickle.MARK);
            p.str(variant.equals("another tag") ? "module" : "storage");
            if (variant.equals("the storage type as a string")) {
                p.str("FloatStorage");
            } else {
                p.global("torch", "FloatStorage");
            }
            if (variant.equals("an int key")) {
                p.integer(0);
            } else {
                p.str("0");
            }
            p.str("cpu");
            if (!variant.equals("no numel")) {
                p.integer(2);
            }
            p.op(TorchCheckpointWriter.Pickle.TUPLE);
            p.op(TorchCheckpointWriter.Pickle.BINPERSID);
        };
        Path file = oneTensorCheckpoint(REDUCE_ORDERED_DICT, id);
        assertThatThrownBy(() -> PyTorchWeights.open(file))
                .isInstanceOf(WeightsException.class)
                .hasMessageContaining("persistent id [")
                .hasMessageContaining("is not a tensor storage")
                .hasMessageContaining("refused");
    }

    @Test
    void refusesABigEndianByteOrderRecordAndAnUnknownOne() throws IOException {
        Path file = dir.resolve("order.pth");
        new TorchCheckpointWriter().f32("w", new long[] {1}, new float[] {1f}).write(file, null);
        for (String order : List.of("big", "middle")) {
            Path edited = dir.resolve(order + ".pth");
            Map<String, byte[]> entries = new LinkedHashMap<>();
            try (var zip = new java.util.zip.ZipFile(file.toFile())) {
                for (var e : java.util.Collections.list(zip.entries())) {
                    entries.put(e.getName(), e.getName().endsWith("/byteorder")
                            ? order.getBytes(StandardCharsets.US_ASCII) : zip.getInputStream(e).readAllBytes());
                }
            }
            TorchCheckpointWriter.writeZip(edited, entries);
            assertThatThrownBy(() -> PyTorchWeights.open(edited))
                    .isInstanceOf(WeightsException.class)
                    .hasMessageContaining(order.equals("big") ? "stores its tensors big-endian"
                            : "unknown byteorder record 'middle'")
                    .hasMessageContaining("only little-endian checkpoints are supported");
        }
    }

    private void assertRefused(byte[] pickle, String message) throws IOException {
        Path file = dir.resolve("evil.pth");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("evil/data.pkl", pickle);
        TorchCheckpointWriter.writeZip(file, entries);
        assertThatThrownBy(() -> PyTorchWeights.open(file))
                .isInstanceOf(WeightsException.class).hasMessageContaining(message).hasMessageContaining("refused");
    }

    @Test
    void refusesLegacyAndForeignFilesClearly() throws IOException {
        Path legacy = dir.resolve("legacy.pth");
        Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10}); // pre-1.6 torch.save starts with a pickle
        assertThatThrownBy(() -> Checkpoints.open(legacy))
                .isInstanceOf(WeightsException.class).hasMessageContaining("legacy");

        Path notTorch = dir.resolve("other.pt");
        TorchCheckpointWriter.writeZip(notTorch, Map.of("readme.txt", new byte[] {1}));
        assertThatThrownBy(() -> Checkpoints.open(notTorch))
                .isInstanceOf(WeightsException.class).hasMessageContaining("data.pkl");
    }

    @Test
    void refusesAViewReachingPastItsStorage() throws IOException {
        Path file = dir.resolve("bad.pth");
        new TorchCheckpointWriter()
                .storage("0", "FloatStorage", 4, TorchCheckpointWriter.floatBytes(1f, 2f, 3f))
                .tensor("w", "0", 2, new long[] {2}, new long[] {1})
                .write(file, null);
        assertThatThrownBy(() -> PyTorchWeights.open(file))
                .isInstanceOf(WeightsException.class).hasMessageContaining("reaches past storage 0");
    }

    private static byte[] shorts(short[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : values) {
            b.putShort(v);
        }
        return b.array();
    }
}
