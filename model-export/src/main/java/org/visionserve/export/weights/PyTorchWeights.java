package org.visionserve.export.weights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * A PyTorch checkpoint as {@code torch.save} writes it since PyTorch 1.6: a zip archive holding
 * {@code <archive>/data.pkl} (the pickled object, tensors referring to storages by key),
 * {@code <archive>/data/<key>} (each storage's raw little-endian bytes) and maybe
 * {@code <archive>/byteorder}.
 *
 * <p>A pickle can name any Python callable, so unpickling an untrusted file in Python can run code.
 * Here only the globals a state dict needs are resolved (an allow-list, as
 * {@code torch.load(weights_only=True)}); any other global is refused before anything is built
 * from it, and the opcodes that instantiate classes without a global callable (INST, OBJ, NEWOBJ,
 * NEWOBJ_EX, EXT1/2/4) are refused too, as are persistent ids other than torch's storage tuples.
 *
 * <p>The checkpoint may be the state dict itself or a dict holding it under {@code state_dict} or
 * {@code model} (training checkpoints); which one was used is noted in the provenance. Each storage
 * is read once from the zip; a contiguous F32 tensor is a slice of its storage bytes, a
 * non-contiguous view (e.g. a channels-last weight) is copied out by its strides.
 */
public final class PyTorchWeights extends CheckpointWeights {

    /** Keys under which training checkpoints keep the model's state dict, in order of preference. */
    static final List<String> NESTED_KEYS = List.of("state_dict", "model");

    private PyTorchWeights(Provenance provenance) {
        super(provenance);
    }

    public static PyTorchWeights open(Path file) {
        String sha256;
        try {
            if (!isZip(file)) {
                throw new WeightsException(file + " is not a zip-format PyTorch checkpoint (legacy torch.save"
                        + " format from before PyTorch 1.6, or not a checkpoint); re-save it with a current torch");
            }
            sha256 = Checksums.sha256(file);
        } catch (IOException e) {
            throw new WeightsException("cannot read PyTorch checkpoint " + file + ": " + e.getMessage(), e);
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(zip, file);
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null) {
                String byteOrder = new String(read(zip, order), StandardCharsets.US_ASCII).trim();
                // torch.save writes the host's order; big-endian hosts (s390x) are rare enough to refuse
                if (!byteOrder.equals("little")) {
                    throw new WeightsException(file + (byteOrder.equals("big") ? " stores its tensors big-endian"
                            : " has an unknown byteorder record '" + byteOrder + "'") + "; only little-endian"
                            + " checkpoints are supported: re-save it with torch on a little-endian machine");
                }
            }
            StateDictUnpickler unpickler = new StateDictUnpickler(zip, prefix, file);
            Object root;
            try (InputStream in = zip.getInputStream(zip.getEntry(prefix + "data.pkl"))) {
                root = unpickler.load(in);
            } catch (PickleException | ClassCastException | IllegalStateException e) {
                throw new WeightsException("cannot unpickle " + file + ": " + e.getMessage(), e);
            }

            String note = null;
            Map<?, ?> top = asMap(root, file);
            Map<?, ?> stateDict = top;
            if (!isStateDict(top)) {
                String used = NESTED_KEYS.stream().filter(k -> top.get(k) instanceof Map<?, ?>).findFirst()
                        .orElseThrow(() -> new WeightsException(file + " holds a dict with keys " + top.keySet()
                                + " but neither a state dict nor one under " + NESTED_KEYS));
                note = "state dict taken from key '" + used + "' of the checkpoint";
                stateDict = asMap(top.get(used), file);
            }
            // nn.DataParallel / DistributedDataParallel save their module's keys as "module.<key>".
            boolean dataParallel = !stateDict.isEmpty()
                    && stateDict.keySet().stream().allMatch(k -> k instanceof String s && s.startsWith("module."));
            if (dataParallel) {
                note = (note == null ? "" : note + "; ") + "'module.' prefix (DataParallel) stripped";
            }

            PyTorchWeights weights = new PyTorchWeights(new Provenance("checkpoint", null,
                    file.getFileName().toString(), sha256, "pytorch", note));
            for (Map.Entry<?, ?> e : stateDict.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new WeightsException(file + ": state dict key " + e.getKey() + " is not a string");
                }
                if (!(e.getValue() instanceof TensorRef t)) {
                    throw new WeightsException(file + ": state dict entry '" + key + "' is not a tensor but "
                            + describe(e.getValue()));
                }
                weights.put(dataParallel ? key.substring("module.".length()) : key,
                        new Entry(t.dtype(), t.shape(), t.bytes()));
            }
            return weights;
        } catch (ZipException e) {
            throw new WeightsException("cannot read PyTorch checkpoint " + file + ": broken zip: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new WeightsException("cannot read PyTorch checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean isZip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
        }
    }

    /** The archive's top folder ({@code <name>/}), found by its {@code data.pkl}; torch uses the file stem. */
    private static String archivePrefix(ZipFile zip, Path file) {
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            String name = entries.nextElement().getName();
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                return name.substring(0, slash + 1);
            }
        }
        throw new WeightsException(file + " is a zip file but not a PyTorch checkpoint: no <archive>/data.pkl");
    }

    private static byte[] read(ZipFile zip, ZipEntry entry) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readAllBytes();
        }
    }

    private static Map<?, ?> asMap(Object o, Path file) {
        if (o instanceof Map<?, ?> m) {
            return m;
        }
        throw new WeightsException(file + " holds " + describe(o) + ", not a state dict");
    }

    /** A state dict maps names to tensors (an empty dict counts, and fails later on missing keys). */
    private static boolean isStateDict(Map<?, ?> m) {
        return m.values().stream().allMatch(v -> v instanceof TensorRef);
    }

    private static String describe(Object o) {
        return o == null ? "None" : o instanceof Object[] a ? "a tuple of " + a.length : "a " + o.getClass().getSimpleName();
    }

    // ---- the objects a state-dict pickle builds -----------------------------------------------

    /** {@code collections.OrderedDict}; the {@code _metadata} torch attaches (BUILD) is accepted and ignored. */
    public static final class OrderedDict extends LinkedHashMap<Object, Object> {
        public void __setstate__(HashMap<?, ?> state) {
            // the state dict's _metadata (per-module versions): not needed for the weights
        }
    }

    /** {@code torch.FloatStorage} and friends: only a dtype for the persistent storage ids, never called. */
    record StorageType(String name, String dtype, int size) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new WeightsException("torch." + name + " is not callable in a state dict");
        }
    }

    private static final Map<String, StorageType> STORAGE_TYPES = new HashMap<>();

    static {
        for (StorageType t : List.of(new StorageType("FloatStorage", "F32", 4), new StorageType("HalfStorage", "F16", 2),
                new StorageType("BFloat16Storage", "BF16", 2), new StorageType("DoubleStorage", "F64", 8),
                new StorageType("LongStorage", "I64", 8), new StorageType("IntStorage", "I32", 4),
                new StorageType("ShortStorage", "I16", 2), new StorageType("CharStorage", "I8", 1),
                new StorageType("ByteStorage", "U8", 1), new StorageType("BoolStorage", "BOOL", 1))) {
            STORAGE_TYPES.put("torch." + t.name(), t);
        }
    }

    /** A storage read from {@code data/<key>}. */
    record Storage(String key, StorageType type, ByteBuffer bytes) {
        long numel() {
            return bytes.capacity() / type.size();
        }
    }

    /** A tensor as {@code _rebuild_tensor_v2} describes it, with its bytes in row-major order. */
    record TensorRef(String dtype, long[] shape, ByteBuffer bytes) {
    }

    /**
     * Opcodes that instantiate a class or fetch a callable without naming a global the allow-list could
     * check (INST, OBJ, NEWOBJ, NEWOBJ_EX; EXT* look one up in copyreg's registry), or hand a text
     * persistent id to persistent_load (PERSID; torch uses BINPERSID with a storage tuple).
     */
    private static final Map<Short, String> REFUSED_OPCODES = Map.of(Opcodes.INST, "INST", Opcodes.OBJ, "OBJ",
            Opcodes.NEWOBJ, "NEWOBJ", Opcodes.NEWOBJ_EX, "NEWOBJ_EX", Opcodes.EXT1, "EXT1", Opcodes.EXT2, "EXT2",
            Opcodes.EXT4, "EXT4", Opcodes.PERSID, "PERSID");

    /** The unpickler: an allow-list of globals, storages loaded once per key from the zip. */
    private static final class StateDictUnpickler extends Unpickler {
        private final ZipFile zip;
        private final String prefix;
        private final Path file;
        private final Map<String, Storage> storages = new HashMap<>();
        private final Map<String, IObjectConstructor> allowed = new HashMap<>();

        StateDictUnpickler(ZipFile zip, String prefix, Path file) {
            this.zip = zip;
            this.prefix = prefix;
            this.file = file;
            allowed.put("collections.OrderedDict", args -> new OrderedDict());
            allowed.put("torch._utils._rebuild_tensor_v2", this::rebuildTensor);
            // nn.Parameter pickled directly (state_dict(keep_vars=True)): the data is all we need
            allowed.put("torch._utils._rebuild_parameter", args -> args[0]);
            allowed.put("torch._utils._rebuild_parameter_with_state", args -> args[0]);
            allowed.putAll(STORAGE_TYPES);
        }

        @Override
        protected Object dispatch(short op) throws PickleException, IOException {
            switch (op) {
                case Opcodes.GLOBAL -> {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    stack.add(resolve(module, name));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.STACK_GLOBAL -> {
                    String name = String.valueOf(stack.pop());
                    String module = String.valueOf(stack.pop());
                    stack.add(resolve(module, name));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.SETITEMS -> { // razorvine collects the items in a HashMap first: keep file order
                    List<Object> items = stack.pop_all_since_marker();
                    @SuppressWarnings("unchecked")
                    Map<Object, Object> dict = (Map<Object, Object>) stack.peek();
                    for (int i = 0; i + 1 < items.size(); i += 2) {
                        dict.put(items.get(i), items.get(i + 1));
                    }
                    return NO_RETURN_VALUE;
                }
                case Opcodes.INST, Opcodes.OBJ, Opcodes.NEWOBJ, Opcodes.NEWOBJ_EX, Opcodes.EXT1, Opcodes.EXT2,
                        Opcodes.EXT4, Opcodes.PERSID -> throw new WeightsException(file + ": pickle opcode "
                        + REFUSED_OPCODES.get(op) + " (0x" + Integer.toHexString(op) + ") is not used by state dicts"
                        + " and is refused");
                default -> {
                    return super.dispatch(op);
                }
            }
        }

        private IObjectConstructor resolve(String module, String name) {
            IObjectConstructor c = allowed.get(module + "." + name);
            if (c == null) {
                throw new WeightsException(file + ": the pickle names the global '" + module + "." + name
                        + "', which a state dict does not need; refused (a pickle's globals can run code). Only "
                        + new java.util.TreeSet<>(allowed.keySet()) + " are accepted: save just the state dict");
            }
            return c;
        }

        /** {@code ('storage', storage_type, key, location, numel)}: the storage's bytes, read once. */
        @Override
        protected Object persistentLoad(Object pid) {
            if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0])
                    || !(t[1] instanceof StorageType type) || !(t[2] instanceof String key)) {
                throw new WeightsException(file + ": persistent id " + Arrays.deepToString(
                        pid instanceof Object[] a ? a : new Object[] {pid}) + " is not a tensor storage"
                        + " ('storage', torch.<Type>Storage, key, location, numel) and is refused");
            }
            long numel = ((Number) t[4]).longValue();
            return storages.computeIfAbsent(key, k -> {
                ZipEntry entry = zip.getEntry(prefix + "data/" + k);
                if (entry == null) {
                    throw new WeightsException(file + ": storage " + k + " is missing from the archive");
                }
                long nbytes = numel * type.size();
                if (nbytes > Integer.MAX_VALUE - 8) {
                    throw new WeightsException(file + ": storage " + k + " has " + nbytes + " bytes; over 2 GB per storage is not supported");
                }
                try (InputStream in = zip.getInputStream(entry)) {
                    byte[] bytes = in.readNBytes((int) nbytes);
                    if (bytes.length != nbytes) {
                        throw new WeightsException(file + ": storage " + k + " holds " + bytes.length
                                + " bytes but " + numel + " " + type.dtype() + " elements were declared");
                    }
                    return new Storage(k, type, ByteBuffer.wrap(bytes));
                } catch (IOException e) {
                    throw new WeightsException(file + ": cannot read storage " + k + ": " + e.getMessage(), e);
                }
            });
        }

        /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
        private Object rebuildTensor(Object[] args) {
            if (args.length < 4 || !(args[0] instanceof Storage storage)) {
                throw new WeightsException(file + ": malformed _rebuild_tensor_v2 arguments");
            }
            long offset = ((Number) args[1]).longValue();
            long[] shape = longs(args[2]);
            long[] stride = longs(args[3]);
            if (stride.length != shape.length) {
                throw new WeightsException(file + ": tensor in storage " + storage.key() + " has size "
                        + Arrays.toString(shape) + " but stride " + Arrays.toString(stride));
            }
            return new TensorRef(storage.type().dtype(), shape, view(storage, offset, shape, stride));
        }

        /** The tensor's bytes in row-major order: a slice when contiguous, else gathered by strides. */
        private ByteBuffer view(Storage storage, long offset, long[] shape, long[] stride) {
            int size = storage.type().size();
            long numel = Tensor.elementCount(shape);
            long last = offset;
            boolean contiguous = true;
            long expected = 1;
            for (int d = shape.length - 1; d >= 0; d--) {
                if (shape[d] < 0 || stride[d] < 0) {
                    throw new WeightsException(file + ": negative size or stride in storage " + storage.key());
                }
                if (shape[d] > 0) {
                    last += (shape[d] - 1) * stride[d];
                }
                if (shape[d] != 1 && stride[d] != expected) {
                    contiguous = false; // size-1 dims may carry any stride
                }
                expected *= shape[d];
            }
            if (numel > 0 && (offset < 0 || last >= storage.numel())) {
                throw new WeightsException(file + ": tensor " + Arrays.toString(shape) + " at offset " + offset
                        + " with stride " + Arrays.toString(stride) + " reaches past storage " + storage.key()
                        + " of " + storage.numel() + " elements");
            }
            if (contiguous || numel == 0) {
                return storage.bytes().slice((int) (offset * size), (int) (numel * size));
            }
            byte[] src = storage.bytes().array();
            byte[] out = new byte[Math.toIntExact(numel * size)];
            long[] index = new long[shape.length];
            long pos = offset;
            for (int i = 0; i < numel; i++) {
                System.arraycopy(src, (int) (pos * size), out, i * size, size);
                for (int d = shape.length - 1; d >= 0; d--) { // odometer over the indices, last axis fastest
                    pos += stride[d];
                    if (++index[d] < shape[d]) {
                        break;
                    }
                    pos -= shape[d] * stride[d];
                    index[d] = 0;
                }
            }
            return ByteBuffer.wrap(out);
        }

        private long[] longs(Object tuple) {
            if (!(tuple instanceof Object[] t)) {
                throw new WeightsException(file + ": expected a tuple of ints, got " + describe(tuple));
            }
            long[] out = new long[t.length];
            for (int i = 0; i < t.length; i++) {
                out[i] = ((Number) t[i]).longValue();
            }
            return out;
        }
    }
}
