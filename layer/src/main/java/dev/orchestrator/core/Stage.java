package dev.orchestrator.core;

/**
 * The three stages of an activity. {@code itemKey} is the key inside the status item (the seed calls the
 * parallel stage "async"); {@code wireName} is the name in topic exports, registrations and messages.
 */
public enum Stage {
    PRE("pre", "pre", true),
    PARALLEL("async", "parallel", false),
    POST("post", "post", true);

    private final String itemKey;
    private final String wireName;
    private final boolean sequential;

    Stage(String itemKey, String wireName, boolean sequential) {
        this.itemKey = itemKey;
        this.wireName = wireName;
        this.sequential = sequential;
    }

    public String itemKey() {
        return itemKey;
    }

    public String wireName() {
        return wireName;
    }

    /** Pre and post run one plugin at a time; parallel publishes once to all. */
    public boolean sequential() {
        return sequential;
    }

    public static Stage fromWire(String value) {
        for (Stage s : values()) {
            if (s.wireName.equals(value) || s.itemKey.equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown stage '" + value + "'; expected pre, parallel or post");
    }
}
