package dev.orchestrator.request;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks a DAG of activities: unknown names, self-dependencies and cycles. Pure. */
public final class ActivityGraph {

    private ActivityGraph() {
    }

    /** Every problem, each naming the activities involved; empty when the graph is a DAG. */
    public static List<String> problems(List<String> names, Map<String, List<String>> dependsOn) {
        List<String> out = new ArrayList<>();
        Set<String> known = new LinkedHashSet<>(names);
        dependsOn.forEach((a, deps) -> {
            for (String d : deps) {
                if (d.equals(a)) {
                    out.add("activity '" + a + "' depends on itself");
                } else if (!known.contains(d)) {
                    out.add("activity '" + a + "' depends on '" + d + "', which is not an activity of this run");
                }
            }
        });
        if (!out.isEmpty()) {
            return out;
        }
        cycle(names, dependsOn).ifPresent(c -> out.add("activities form a cycle: " + String.join(" -> ", c)));
        return out;
    }

    /** One cycle, as a path that returns to its start, if there is any. */
    static java.util.Optional<List<String>> cycle(List<String> names, Map<String, List<String>> dependsOn) {
        Map<String, Integer> mark = new LinkedHashMap<>(); // 1 = on the current path, 2 = done
        for (String n : names) {
            List<String> path = new ArrayList<>();
            java.util.Optional<List<String>> c = visit(n, dependsOn, mark, path);
            if (c.isPresent()) {
                return c;
            }
        }
        return java.util.Optional.empty();
    }

    private static java.util.Optional<List<String>> visit(String n, Map<String, List<String>> deps, Map<String, Integer> mark,
                                                          List<String> path) {
        Integer m = mark.get(n);
        if (m != null && m == 2) {
            return java.util.Optional.empty();
        }
        if (m != null && m == 1) {
            List<String> c = new ArrayList<>(path.subList(path.indexOf(n), path.size()));
            c.add(n);
            return java.util.Optional.of(c);
        }
        mark.put(n, 1);
        path.add(n);
        for (String d : deps.getOrDefault(n, List.of())) {
            java.util.Optional<List<String>> c = visit(d, deps, mark, path);
            if (c.isPresent()) {
                return c;
            }
        }
        path.remove(path.size() - 1);
        mark.put(n, 2);
        return java.util.Optional.empty();
    }
}
