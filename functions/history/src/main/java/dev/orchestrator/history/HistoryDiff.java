package dev.orchestrator.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.orchestrator.core.ItemCodec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What changed between two images of a run item (the status stream's old and new image), as a list
 * of transitions in a stable order: run first, then each activity, its stages and their plugins.
 * Pure: it reads the item's JSON shape only (not the engine's model classes), so it keeps working
 * when fields are added to the item.
 */
public final class HistoryDiff {

    static final String[] STAGE_KEYS = {"pre", "async", "post"};
    static final String[] GROUPS = {ItemCodec.MANDATORY, ItemCodec.OPTIONAL};

    private HistoryDiff() {
    }

    /** @param oldImage null or missing when the run was created; newImage null or missing when it was deleted */
    public static List<Transition> diff(JsonNode oldImage, JsonNode newImage) {
        JsonNode o = oldImage == null ? MissingNode.getInstance() : oldImage;
        JsonNode n = newImage == null ? MissingNode.getInstance() : newImage;
        List<Transition> out = new ArrayList<>();
        if (o.isMissingNode() && n.isMissingNode()) {
            return out;
        }
        if (o.isMissingNode()) {
            out.add(new Transition(Transition.RUN, null, null, null, "created", null, text(n, ItemCodec.STATUS),
                    text(n, ItemCodec.MESSAGE)));
        } else if (n.isMissingNode()) {
            out.add(new Transition(Transition.RUN, null, null, null, "deleted", text(o, ItemCodec.STATUS), null, null));
            return out;
        } else if (!Objects.equals(text(o, ItemCodec.STATUS), text(n, ItemCodec.STATUS))) {
            out.add(new Transition(Transition.RUN, null, null, null, "state", text(o, ItemCodec.STATUS), text(n, ItemCodec.STATUS),
                    text(n, ItemCodec.MESSAGE)));
        }
        if (!n.path(ItemCodec.CANCEL_REQUESTED).isMissingNode() && o.path(ItemCodec.CANCEL_REQUESTED).isMissingNode()) {
            out.add(new Transition(Transition.RUN, null, null, null, "cancel requested", null, null,
                    text(n.path(ItemCodec.CANCEL_REQUESTED), ItemCodec.REASON)));
        }
        // Run order first (activityOrder), then any other activity the images name.
        Set<String> activities = new LinkedHashSet<>();
        n.path(ItemCodec.ACTIVITY_ORDER).forEach(a -> activities.add(a.asText()));
        o.path(ItemCodec.ACTIVITY_ORDER).forEach(a -> activities.add(a.asText()));
        activities.addAll(names(o.path(ItemCodec.ACTIVITIES), n.path(ItemCodec.ACTIVITIES)));
        activities.removeIf(a -> o.path(ItemCodec.ACTIVITIES).path(a).isMissingNode()
                && n.path(ItemCodec.ACTIVITIES).path(a).isMissingNode());
        for (String activity : activities) {
            JsonNode oa = o.path(ItemCodec.ACTIVITIES).path(activity);
            JsonNode na = n.path(ItemCodec.ACTIVITIES).path(activity);
            state(out, Transition.ACTIVITY, activity, null, null, oa, na, ItemCodec.STATUS);
            for (String stageKey : STAGE_KEYS) {
                JsonNode os = oa.path(stageKey);
                JsonNode ns = na.path(stageKey);
                String stage = "async".equals(stageKey) ? "parallel" : stageKey;
                state(out, Transition.STAGE, activity, stage, null, os, ns, ItemCodec.STATUS);
                for (String group : GROUPS) {
                    for (String plugin : names(os.path(group), ns.path(group))) {
                        JsonNode op = os.path(group).path(plugin);
                        JsonNode np = ns.path(group).path(plugin);
                        if (changed(op, np, ItemCodec.DISPATCHED_AT) && !np.path(ItemCodec.DISPATCHED_AT).isMissingNode()) {
                            out.add(new Transition(Transition.PLUGIN, activity, stage, plugin, "dispatched", null, null, null));
                        }
                        state(out, Transition.PLUGIN, activity, stage, plugin, op, np, ItemCodec.STATE);
                        if (changed(op, np, ItemCodec.RERUN_AT) && !np.path(ItemCodec.RERUN_AT).isMissingNode()) {
                            out.add(new Transition(Transition.PLUGIN, activity, stage, plugin, "rerun scheduled", null, null,
                                    text(np, ItemCodec.MESSAGE)));
                        }
                    }
                }
            }
        }
        return out;
    }

    private static void state(List<Transition> out, String scope, String activity, String stage, String plugin,
                              JsonNode before, JsonNode after, String field) {
        String from = text(before, field);
        String to = text(after, field);
        if (!Objects.equals(from, to)) {
            out.add(new Transition(scope, activity, stage, plugin, "state", from, to, text(after, ItemCodec.MESSAGE)));
        }
    }

    private static boolean changed(JsonNode before, JsonNode after, String field) {
        return !Objects.equals(before.path(field).asText(null), after.path(field).asText(null));
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isMissingNode() || v.isNull() ? null : v.asText();
    }

    /** Keys of two objects, old ones first in their order, then new ones. */
    private static Set<String> names(JsonNode a, JsonNode b) {
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode x : new JsonNode[] {a, b}) {
            if (x.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = x.fields(); it.hasNext(); ) {
                    names.add(it.next().getKey());
                }
            }
        }
        return names;
    }
}
