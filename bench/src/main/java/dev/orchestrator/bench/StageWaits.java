package dev.orchestrator.bench;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.WorkflowRun;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * How long each ended parallel stage of a run stayed open after its last plugin ended, read from the run's
 * own timestamps. {@code windowWaited} is the part of that gap the registration window accounts for: the
 * window was still open when the last plugin ended and the stage ended only once it had closed. A stage that
 * ended while its window was open (every expected plugin had ended) waited 0 ms for it. {@code gap} is all of
 * it (any window wait plus the stream hop from the last plugin's write to the engine's stage-end write).
 */
final class StageWaits {

    /** One stage: when its last plugin ended, when the stage ended, and what the window made it wait. */
    record Wait(String activity, long lastPluginEndedAt, long stageEndedAt, long windowWaited) {
        long gap() {
            return Math.max(0, stageEndedAt - lastPluginEndedAt);
        }
    }

    private StageWaits() {
    }

    /** Every parallel stage that ended with at least one ended plugin, in the run's activity order. */
    static List<Wait> of(WorkflowRun run) {
        List<Wait> out = new ArrayList<>();
        for (String name : run.activityOrder()) {
            ActivityStatus a = run.activities().get(name);
            if (a == null) {
                continue;
            }
            StageStatus s = a.async();
            Long lastPlugin = Stream.concat(s.mandatory().values().stream(), s.optional().values().stream())
                    .map(PluginStatus::endedAt).filter(java.util.Objects::nonNull).max(Long::compare).orElse(null);
            if (s.endedAt() == null || lastPlugin == null) {
                continue;
            }
            // Held by the window: it was still open when the last plugin ended and the stage ended only once it closed.
            long waited = s.windowEndsAt() != null && s.endedAt() >= s.windowEndsAt() ? Math.max(0, s.windowEndsAt() - lastPlugin) : 0;
            out.add(new Wait(name, lastPlugin, s.endedAt(), waited));
        }
        return out;
    }
}
