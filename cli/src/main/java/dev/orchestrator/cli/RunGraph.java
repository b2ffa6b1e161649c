package dev.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A run's activities as an inline SVG graph: one node per activity, coloured by its state, with its three
 * stages as a strip; edges are the run's {@code dependsOn} (a DAG run) or the list order (a plain run).
 * Columns are dependency depth, so what can run at the same time stands in one column. The running
 * activity is outlined and pulses. Pure; every name is escaped.
 */
final class RunGraph {

    static final int W = 190;
    static final int H = 66;
    static final int GAP_X = 64;
    static final int GAP_Y = 22;
    static final int PAD = 16;

    private RunGraph() {
    }

    static Map<String, List<String>> dependencies(JsonNode run, List<String> order) {
        Map<String, List<String>> deps = new HashMap<>();
        JsonNode declared = run.path("dependsOn");
        boolean dag = declared.isObject() && declared.size() > 0;
        for (int i = 0; i < order.size(); i++) {
            List<String> d = new ArrayList<>();
            if (dag) {
                declared.path(order.get(i)).forEach(n -> {
                    if (order.contains(n.asText())) {
                        d.add(n.asText());
                    }
                });
            } else if (i > 0) {
                d.add(order.get(i - 1));
            }
            deps.put(order.get(i), d);
        }
        return deps;
    }

    static String svg(JsonNode run, List<String> order) {
        if (order.isEmpty()) {
            return "<p class=\"muted\">No activities.</p>";
        }
        Map<String, List<String>> deps = dependencies(run, order);
        Map<String, Integer> level = new HashMap<>();
        for (String a : order) {
            level(a, deps, level, 0);
        }
        Map<Integer, List<String>> columns = new HashMap<>();
        int maxLevel = 0;
        for (String a : order) {
            columns.computeIfAbsent(level.get(a), k -> new ArrayList<>()).add(a);
            maxLevel = Math.max(maxLevel, level.get(a));
        }
        int rows = columns.values().stream().mapToInt(List::size).max().orElse(1);
        int width = PAD * 2 + (maxLevel + 1) * W + maxLevel * GAP_X;
        int height = PAD * 2 + rows * H + (rows - 1) * GAP_Y;
        Map<String, int[]> pos = new HashMap<>();
        for (Map.Entry<Integer, List<String>> c : columns.entrySet()) {
            List<String> col = c.getValue();
            int offset = (rows - col.size()) * (H + GAP_Y) / 2; // centre short columns
            for (int r = 0; r < col.size(); r++) {
                pos.put(col.get(r), new int[] {PAD + c.getKey() * (W + GAP_X), PAD + offset + r * (H + GAP_Y)});
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("<div class=\"graph-wrap\"><svg class=\"graph\" id=\"graph\" role=\"img\" aria-label=\"activity graph\" width=\"")
                .append(width).append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" xmlns=\"http://www.w3.org/2000/svg\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" ")
                .append("markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/>")
                .append("</marker></defs>");
        for (String a : order) {
            for (String d : deps.get(a)) {
                int[] from = pos.get(d);
                int[] to = pos.get(a);
                int x1 = from[0] + W;
                int y1 = from[1] + H / 2;
                int x2 = to[0] - 2;
                int y2 = to[1] + H / 2;
                int mid = (x1 + x2) / 2;
                String dState = run.path("activities").path(d).path("status").asText("Not Started");
                b.append("<path class=\"edge ").append(done(dState) ? "done" : "").append("\" data-from=\"").append(ConsolePages.esc(d))
                        .append("\" data-to=\"").append(ConsolePages.esc(a)).append("\" d=\"M").append(x1).append(',').append(y1)
                        .append(" C").append(mid).append(',').append(y1).append(' ').append(mid).append(',').append(y2).append(' ')
                        .append(x2).append(',').append(y2).append("\" marker-end=\"url(#arrow)\"/>");
            }
        }
        for (int i = 0; i < order.size(); i++) {
            String a = order.get(i);
            JsonNode act = run.path("activities").path(a);
            String state = act.path("status").asText("Not Started");
            int[] p = pos.get(a);
            boolean running = state.equals("In Progress") || state.equals("Mandatory Completed");
            b.append("<a href=\"#act-").append(i).append("\" class=\"node st-").append(ConsolePages.slug(state))
                    .append(running ? " running" : "").append("\" data-activity=\"").append(ConsolePages.esc(a)).append("\" data-state=\"")
                    .append(ConsolePages.esc(state)).append("\"><title>").append(ConsolePages.esc(a + ": " + state)).append("</title>")
                    .append("<rect class=\"box\" x=\"").append(p[0]).append("\" y=\"").append(p[1]).append("\" width=\"").append(W)
                    .append("\" height=\"").append(H).append("\" rx=\"10\"/>")
                    .append("<text class=\"name\" x=\"").append(p[0] + 14).append("\" y=\"").append(p[1] + 24).append("\">")
                    .append(ConsolePages.esc(shorten(a, 22))).append("</text>")
                    .append("<text class=\"state\" x=\"").append(p[0] + 14).append("\" y=\"").append(p[1] + 42).append("\">")
                    .append(ConsolePages.esc(state)).append("</text>");
            int sx = p[0] + 14;
            int sw = (W - 28 - 8) / 3;
            for (String[] s : ConsolePages.STAGES) {
                String ss = act.path(s[0]).path("status").asText("Not Started");
                b.append("<rect class=\"strip st-").append(ConsolePages.slug(ss)).append("\" x=\"").append(sx).append("\" y=\"")
                        .append(p[1] + H - 14).append("\" width=\"").append(sw).append("\" height=\"6\" rx=\"3\"><title>")
                        .append(s[1]).append(": ").append(ConsolePages.esc(ss)).append("</title></rect>");
                sx += sw + 4;
            }
            b.append("</a>");
        }
        return b.append("</svg></div>").toString();
    }

    private static boolean done(String state) {
        return state.equals("Complete") || state.equals("Optional Task Error") || state.equals("Do Not Run");
    }

    private static int level(String a, Map<String, List<String>> deps, Map<String, Integer> level, int depth) {
        Integer known = level.get(a);
        if (known != null) {
            return known;
        }
        int l = 0;
        if (depth < 1000) { // a cycle cannot be started (the start refuses it); this only keeps a bad item from looping
            for (String d : deps.getOrDefault(a, List.of())) {
                l = Math.max(l, level(d, deps, level, depth + 1) + 1);
            }
        }
        level.put(a, l);
        return l;
    }

    static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
