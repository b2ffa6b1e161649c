package dev.orchestrator.core;

import java.util.List;

/** Attribute paths inside the status item, as lists of segments (names are placeholdered on use). */
public final class Paths {

    private Paths() {
    }

    public static List<String> activity(String activity) {
        return List.of(ItemCodec.ACTIVITIES, activity);
    }

    public static List<String> stage(String activity, Stage stage) {
        return List.of(ItemCodec.ACTIVITIES, activity, stage.itemKey());
    }

    public static List<String> plugin(String activity, Stage stage, boolean mandatory, String plugin) {
        return List.of(ItemCodec.ACTIVITIES, activity, stage.itemKey(),
                mandatory ? ItemCodec.MANDATORY : ItemCodec.OPTIONAL, plugin);
    }

    public static List<String> child(List<String> path, String name) {
        var out = new java.util.ArrayList<>(path);
        out.add(name);
        return List.copyOf(out);
    }
}
