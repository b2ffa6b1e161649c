package dev.orchestrator.core;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A stage of an activity. {@code windowSeconds} is the plugin registration window fixed when the stage
 * starts; {@code publishedAt}/{@code windowEndsAt} (epoch ms) are written when the parallel stage is
 * published.
 */
public record StageStatus(State status,
                          Map<String, PluginStatus> mandatory,
                          Map<String, PluginStatus> optional,
                          Integer windowSeconds,
                          Long publishedAt,
                          Long windowEndsAt) {

    public StageStatus {
        mandatory = Map.copyOf(mandatory);
        optional = Map.copyOf(optional);
    }

    public static StageStatus notStarted() {
        return new StageStatus(State.NOT_STARTED, Map.of(), Map.of(), null, null, null);
    }

    public StageStatus withStatus(State newStatus) {
        return new StageStatus(newStatus, mandatory, optional, windowSeconds, publishedAt, windowEndsAt);
    }

    /** Every plugin of the stage, mandatory first, each group by (order, name): the dispatch order. */
    public List<Entry> plugins() {
        return Stream.concat(
                        mandatory.entrySet().stream().map(e -> new Entry(e.getKey(), true, e.getValue())),
                        optional.entrySet().stream().map(e -> new Entry(e.getKey(), false, e.getValue())))
                .sorted(Comparator.comparingInt((Entry e) -> e.status().order()).thenComparing(Entry::name))
                .toList();
    }

    public Map<String, PluginStatus> group(boolean isMandatory) {
        return isMandatory ? mandatory : optional;
    }

    /** A plugin with the group it belongs to. */
    public record Entry(String name, boolean mandatory, PluginStatus status) {
    }
}
