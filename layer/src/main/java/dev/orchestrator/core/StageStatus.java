package dev.orchestrator.core;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A stage of an activity. {@code windowSeconds} is the plugin registration window fixed when the stage
 * starts; {@code publishedAt}/{@code windowEndsAt} (epoch ms) are written when the parallel stage is
 * published. {@code rejected} (not stored as such) lists entries the codec could not accept (e.g. a name
 * over {@link Names#MAX_PLUGIN_NAME} characters) so the engine removes them and says why.
 */
public record StageStatus(State status,
                          Map<String, PluginStatus> mandatory,
                          Map<String, PluginStatus> optional,
                          Integer windowSeconds,
                          Long publishedAt,
                          Long windowEndsAt,
                          Long startedAt,
                          Long endedAt,
                          String message,
                          List<Rejected> rejected,
                          Long rosterVersion,
                          MapState map) {

    /** A plugin entry the engine must drop: which group, its (shortened) name, and why. */
    public record Rejected(boolean mandatory, String fullName, String reason) {
    }

    public StageStatus {
        mandatory = Map.copyOf(mandatory);
        optional = Map.copyOf(optional);
        rejected = rejected == null ? List.of() : List.copyOf(rejected);
    }

    public StageStatus(State status, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional,
                       Integer windowSeconds, Long publishedAt, Long windowEndsAt, Long startedAt, Long endedAt,
                       String message, List<Rejected> rejected, Long rosterVersion) {
        this(status, mandatory, optional, windowSeconds, publishedAt, windowEndsAt, startedAt, endedAt, message, rejected,
                rosterVersion, null);
    }

    /** The same stage with its map (a map activity's parallel stage), or without one. */
    public StageStatus withMap(MapState newMap) {
        return new StageStatus(status, mandatory, optional, windowSeconds, publishedAt, windowEndsAt, startedAt,
                endedAt, message, rejected, rosterVersion, newMap);
    }

    public StageStatus(State status, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional,
                       Integer windowSeconds, Long publishedAt, Long windowEndsAt) {
        this(status, mandatory, optional, windowSeconds, publishedAt, windowEndsAt, null, null, null, List.of(), null);
    }

    public StageStatus(State status, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional,
                       Integer windowSeconds, Long publishedAt, Long windowEndsAt, Long startedAt, Long endedAt,
                       String message, List<Rejected> rejected) {
        this(status, mandatory, optional, windowSeconds, publishedAt, windowEndsAt, startedAt, endedAt, message, rejected,
                null);
    }

    /** The same stage with the roster (what it lists) written under {@code version} (engine v3). */
    public StageStatus withRoster(long version) {
        return new StageStatus(status, mandatory, optional, windowSeconds, publishedAt, windowEndsAt, startedAt,
                endedAt, message, rejected, version, map);
    }

    public static StageStatus notStarted() {
        return new StageStatus(State.NOT_STARTED, Map.of(), Map.of(), null, null, null);
    }

    public StageStatus withStatus(State newStatus) {
        return new StageStatus(newStatus, mandatory, optional, windowSeconds, publishedAt, windowEndsAt, startedAt,
                endedAt, message, rejected, rosterVersion, map);
    }

    public StageStatus withPlugins(Map<String, PluginStatus> newMandatory, Map<String, PluginStatus> newOptional) {
        return new StageStatus(status, newMandatory, newOptional, windowSeconds, publishedAt, windowEndsAt, startedAt,
                endedAt, message, rejected, rosterVersion, map);
    }

    public StageStatus withPublished(long at, long endsAt) {
        return new StageStatus(status, mandatory, optional, windowSeconds, at, endsAt, startedAt, endedAt, message,
                rejected, rosterVersion, map);
    }

    public StageStatus withoutRejected(String note) {
        return new StageStatus(status, mandatory, optional, windowSeconds, publishedAt, windowEndsAt, startedAt,
                endedAt, note, List.of(), rosterVersion, map);
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
