package dev.orchestrator.core;

import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The execution items one scope (one engine drive) has seen ended, whole, on the thread that opened it: read in full
 * by the store, or shown by the stream batch that started the drive (its last image of each item). A plugin cannot
 * change an ended item (its writes are conditional on {@code In Progress}), so the drive need not read it again: not
 * to decide ({@link Rosters#fill}) and not for its output ({@link StatusStore#outputs}). A resume resets Error items,
 * so an item is taken for a stage's entry only when it ended after that stage was entered ({@link #endedIn}); an
 * older one is read. Nothing is remembered outside a scope, and a scope forgets all when it closes, so no reader sees
 * what another invocation saw. Bounded: past {@link #MAX_EXECUTIONS} items or {@link #MAX_BYTES} bytes, further
 * items are simply read again.
 */
final class SeenEnded {

    static final int MAX_EXECUTIONS = 5_000;
    static final long MAX_BYTES = 4L << 20;

    /** An item remembered, with what it counts against {@link #MAX_BYTES}. */
    private record Kept(Map<String, AttributeValue> item, long bytes) {
    }

    private static final class Memory {
        final Map<Map<String, AttributeValue>, Kept> items = new HashMap<>();
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

    /**
     * An execution item as it now is (read in full, or the latest stream image of it): remembered when a scope is
     * open, it has ended, and the bounds allow; an item that has not ended replaces what was remembered of it.
     */
    void saw(Map<String, AttributeValue> item) {
        Memory memory = current.get();
        if (memory == null || !item.containsKey(ItemCodec.UID) || !item.containsKey(ItemCodec.WORKFLOW)) {
            return;
        }
        Map<String, AttributeValue> key = ItemCodec.key(item.get(ItemCodec.UID).s(), item.get(ItemCodec.WORKFLOW).s());
        Kept before = memory.items.remove(key);
        if (before != null) {
            memory.bytes -= before.bytes();
        }
        if (!hasEnded(item) || memory.items.size() >= MAX_EXECUTIONS) {
            return;
        }
        long bytes = roughBytes(item);
        if (memory.bytes + bytes > MAX_BYTES) {
            return;
        }
        memory.bytes += bytes;
        memory.items.put(key, new Kept(item, bytes));
    }

    /**
     * About what the item holds in memory: its names, its strings and numbers, 256 for any other value (a bound for the
     * memory, not DynamoDB's size; no value is rendered, this runs for every execution a drive sees).
     */
    private static long roughBytes(Map<String, AttributeValue> item) {
        long bytes = 64;
        for (var e : item.entrySet()) {
            AttributeValue v = e.getValue();
            bytes += e.getKey().length() + (v.s() != null ? v.s().length() : v.n() != null ? v.n().length() : 256);
        }
        return bytes;
    }

    private static boolean hasEnded(Map<String, AttributeValue> item) {
        AttributeValue state = item.get(ItemCodec.STATE);
        if (state == null || state.s() == null) {
            return false;
        }
        try {
            return State.fromWire(state.s()).isTerminal();
        } catch (IllegalArgumentException unknown) {
            return false; // the engine's read flags it
        }
    }

    /** The item seen ended, or null when unseen (or seen not ended). */
    Map<String, AttributeValue> ended(Map<String, AttributeValue> key) {
        Memory memory = current.get();
        Kept kept = memory == null ? null : memory.items.get(key);
        return kept == null ? null : kept.item();
    }

    /**
     * The item seen ended, if it ended at or after {@code enteredAt} (the stage's entry, {@code rosterVersion}): an
     * item that ended before was ended in an earlier entry of the stage, which a resume may have reset since.
     */
    Map<String, AttributeValue> endedIn(Map<String, AttributeValue> key, Long enteredAt) {
        Map<String, AttributeValue> item = ended(key);
        if (item == null || enteredAt == null) {
            return null;
        }
        AttributeValue at = item.get(ItemCodec.ENDED_AT);
        try {
            return at != null && at.n() != null && Long.parseLong(at.n()) >= enteredAt ? item : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The output attributes of an execution seen Complete in this scope (empty: Complete without output), or null
     * when unseen or not Complete.
     */
    Map<String, AttributeValue> outputs(Map<String, AttributeValue> key) {
        Map<String, AttributeValue> item = ended(key);
        if (item == null || !State.COMPLETE.wire().equals(item.get(ItemCodec.STATE).s())) {
            return null;
        }
        Map<String, AttributeValue> kept = new HashMap<>(2);
        for (String name : new String[] {Outputs.OUTPUT, Outputs.OUTPUT_REF}) {
            AttributeValue v = item.get(name);
            if (v != null) {
                kept.put(name, v);
            }
        }
        return kept;
    }
}
