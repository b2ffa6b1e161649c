package dev.orchestrator.core;

import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The outputs of Complete executions the store read in full during one scope (one engine drive), on the thread
 * that opened it: an execution's output never changes once it is Complete, so {@link StatusStore#outputs} need not
 * read it a second time. Nothing is remembered outside a scope, and a scope forgets all when it closes, so no
 * reader sees what another invocation read. Bounded: past {@link #MAX_EXECUTIONS} executions or
 * {@link #MAX_BYTES} bytes of inline outputs, further executions are simply read again.
 */
final class SeenOutputs {

    static final int MAX_EXECUTIONS = 5_000;
    static final long MAX_BYTES = 4L << 20;

    /** What one scope has seen: by item key, the item's output attributes (empty: Complete without output). */
    private static final class Memory {
        final Map<Map<String, AttributeValue>, Map<String, AttributeValue>> outputs = new HashMap<>();
        long bytes;
    }

    private final ThreadLocal<Memory> current = new ThreadLocal<>();

    StatusStore.Scope open() {
        Memory memory = new Memory();
        current.set(memory);
        return () -> {
            if (current.get() == memory) {
                current.remove();
            }
        };
    }

    /** An execution item read in full: remembered when a scope is open, it is Complete, and the bounds allow. */
    void saw(Map<String, AttributeValue> item) {
        Memory memory = current.get();
        AttributeValue state = item.get(ItemCodec.STATE);
        if (memory == null || state == null || !State.COMPLETE.wire().equals(state.s())
                || memory.outputs.size() >= MAX_EXECUTIONS) {
            return;
        }
        Map<String, AttributeValue> kept = new HashMap<>(2);
        long bytes = 64;
        for (String name : new String[] {Outputs.OUTPUT, Outputs.OUTPUT_REF}) {
            AttributeValue v = item.get(name);
            if (v != null) {
                kept.put(name, v);
                bytes += v.s() != null ? v.s().length() : 256;
            }
        }
        if (memory.bytes + bytes > MAX_BYTES) {
            return;
        }
        memory.bytes += bytes;
        memory.outputs.put(ItemCodec.key(item.get(ItemCodec.UID).s(), item.get(ItemCodec.WORKFLOW).s()), kept);
    }

    /** The output attributes of an execution seen Complete in this scope (empty: none), or null when unseen. */
    Map<String, AttributeValue> lookup(Map<String, AttributeValue> key) {
        Memory memory = current.get();
        return memory == null ? null : memory.outputs.get(key);
    }
}
