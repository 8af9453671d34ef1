package org.visionserve.service.operations;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.data.redis.serializer.RedisSerializer;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shared store ({@code visionserve.operations.store=redis}): every replica reads and lists the
 * operations, and cancels reach the replica running one through a pub/sub channel. Keys, under the
 * configured prefix: {@code state:{id}} (JSON), {@code result:{id}} (JSON), {@code file:{id}:{name}}
 * (media type and file name on two lines, then the bytes) and the index {@code index} (a sorted set by
 * creation time); every key of an operation expires with its retention, so a replica that died
 * mid-work leaves nothing behind for longer than its deadline and retention.
 */
public final class RedisOperationStore implements OperationStore {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final StringRedisTemplate strings;
    private final RedisTemplate<String, byte[]> bytes;
    private final RedisMessageListenerContainer listeners;
    private final String prefix;
    private final ChannelTopic cancels;

    public RedisOperationStore(RedisConnectionFactory factory, RedisMessageListenerContainer listeners, String prefix) {
        this.strings = new StringRedisTemplate(factory);
        this.bytes = new RedisTemplate<>();
        bytes.setConnectionFactory(factory);
        bytes.setKeySerializer(RedisSerializer.string());
        bytes.setValueSerializer(RedisSerializer.byteArray());
        bytes.afterPropertiesSet();
        this.listeners = listeners;
        this.prefix = prefix;
        this.cancels = new ChannelTopic(prefix + "cancel");
    }

    @Override
    public void save(OperationState state, Duration ttl) {
        strings.opsForValue().set(prefix + "state:" + state.id(), JSON.writeValueAsString(state), ttl);
        strings.opsForZSet().add(prefix + "index", state.id(), state.createdAt().toEpochMilli());
    }

    @Override
    public Optional<OperationState> find(String id) {
        String s = strings.opsForValue().get(prefix + "state:" + id);
        return s == null ? Optional.empty() : Optional.of(JSON.readValue(s, OperationState.class));
    }

    @Override
    public List<OperationState> all() {
        Set<String> ids = strings.opsForZSet().range(prefix + "index", 0, -1);
        if (ids == null || ids.isEmpty()) {
            return List.of();
        }
        List<String> order = new ArrayList<>(ids);
        List<String> values = strings.opsForValue().multiGet(order.stream().map(id -> prefix + "state:" + id).toList());
        List<OperationState> out = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            String v = values == null ? null : values.get(i);
            if (v == null) {
                strings.opsForZSet().remove(prefix + "index", order.get(i)); // its keys expired
            } else {
                out.add(JSON.readValue(v, OperationState.class));
            }
        }
        return out;
    }

    @Override
    public void saveResult(String id, String json, List<StoredFile> files, Duration ttl) {
        if (json != null) {
            strings.opsForValue().set(prefix + "result:" + id, json, ttl);
        }
        for (StoredFile f : files) {
            byte[] head = (f.mediaType() + "\n" + f.fileName() + "\n").getBytes(StandardCharsets.UTF_8);
            byte[] value = ByteBuffer.allocate(head.length + f.bytes().length).put(head).put(f.bytes()).array();
            bytes.opsForValue().set(prefix + "file:" + id + ":" + f.name(), value, ttl);
        }
    }

    @Override
    public Optional<String> result(String id) {
        return Optional.ofNullable(strings.opsForValue().get(prefix + "result:" + id));
    }

    @Override
    public Optional<StoredFile> file(String id, String name) {
        byte[] v = bytes.opsForValue().get(prefix + "file:" + id + ":" + name);
        if (v == null) {
            return Optional.empty();
        }
        int first = indexOf(v, 0);
        int second = indexOf(v, first + 1);
        return Optional.of(new StoredFile(name, new String(v, 0, first, StandardCharsets.UTF_8),
                new String(v, first + 1, second - first - 1, StandardCharsets.UTF_8),
                java.util.Arrays.copyOfRange(v, second + 1, v.length)));
    }

    private static int indexOf(byte[] v, int from) {
        for (int i = from; i < v.length; i++) {
            if (v[i] == '\n') {
                return i;
            }
        }
        throw new IllegalStateException("a stored file without its header");
    }

    @Override
    public void remove(String id) {
        List<String> keys = new ArrayList<>(List.of(prefix + "state:" + id, prefix + "result:" + id));
        find(id).ifPresent(s -> s.files().forEach(name -> keys.add(prefix + "file:" + id + ":" + name)));
        strings.delete(keys);
        strings.opsForZSet().remove(prefix + "index", id);
    }

    @Override
    public void publishCancel(String id) {
        strings.convertAndSend(cancels.getTopic(), id);
    }

    @Override
    public void onCancel(Consumer<String> handler) {
        listeners.addMessageListener((message, pattern) ->
                handler.accept(new String(Objects.requireNonNull(message.getBody()), StandardCharsets.UTF_8)), cancels);
    }
}
