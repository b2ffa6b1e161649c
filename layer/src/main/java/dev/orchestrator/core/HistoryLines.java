package dev.orchestrator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * How a history item stores its transitions: one string per transition in the item's {@code lines} list, its
 * fields joined by U+001F (time, stream sequence, place in the diff, event, activity, stage, plugin, from, to,
 * message). Time and sequence are empty when they repeat the previous line's, and {@code +n} / {@code -n} from it
 * otherwise (sequence numbers of one shard share their leading digits); the first line of an item has them whole.
 * Event, names and states equal to the previous line's are U+001E, and a state is one control character (U+0001 +
 * its place in {@link #CODED_STATES}), so a plugin's line is about its time, sequence and name. Lines written before either rule read
 * the same (they hold no control character but the separator).
 * About 22 bytes beside the plugin's name for a plugin
 * transition where the map form (named attributes, a 58-character {@code at} each) took about 220, and DynamoDB
 * bills history writes by the KB. The writer (the history function) and every reader (CLI, console) use this
 * class alone, so the format lives in one place. Names and keys hold no control characters (start requests and
 * registrations refuse them); a message may, so it is the last field and is split off whole.
 */
public final class HistoryLines {

    /** The item attribute holding the lines. */
    public static final String LINES = "lines";
    static final char SEP = '\u001F';
    /** A field equal to the previous line's (U+001E: no name, state or event holds a control character). */
    static final char SAME = '\u001E';
    /** {@code from} / {@code to} states are written as U+0001 + their place here: stored items depend on it, append only. */
    static final char STATE_CODE = '\u0001';
    static final List<String> CODED_STATES = List.of("Not Started", "In Progress", "Mandatory Completed", "Complete", "Error",
            "Optional Task Error", "Do Not Run");
    /** Where {@code from} is among {@link #names}. */
    private static final int FROM = 4;
    private static final int FIELDS = 10;

    private HistoryLines() {
    }

    /** One transition as the writer knows it. */
    public record Line(long time, String sequence, int index, String event, String activity, String stage, String plugin,
                       String from, String to, String message) {

        /** Where in the run ({@link HistoryLines#path}). */
        public String path() {
            return HistoryLines.path(activity, stage, plugin);
        }

        /** run, activity, stage or plugin: the deepest part of the path that is set. */
        public String scope() {
            return plugin != null ? "plugin" : stage != null ? "stage" : activity != null ? "activity" : "run";
        }

        /** The transition's sort key in the run: time, then stream order, then place in the diff. */
        public String at() {
            return HistoryLines.at(time, sequence, index);
        }
    }

    /** Where in the run: {@code Setup/pre/reserve-capacity}, {@code Setup}, or empty for the run itself. */
    public static String path(String activity, String stage, String plugin) {
        StringBuilder b = new StringBuilder();
        for (String part : new String[] {activity, stage, plugin}) {
            if (part != null) {
                b.append(b.isEmpty() ? "" : "/").append(part);
            }
        }
        return b.toString();
    }

    /** Sorts by time, then by stream order (sequence numbers grow per shard), then by position in the diff. */
    public static String at(long epochMillis, String streamSequence, int index) {
        String seq = streamSequence.length() >= 40 ? streamSequence : "0".repeat(40 - streamSequence.length()) + streamSequence;
        return String.format("%013d#%s#%03d", epochMillis, seq, index);
    }

    /** The strings of an item's {@code lines}, in order (time and sequence relative to the previous line's). */
    public static List<String> encode(List<Line> lines) {
        List<String> out = new ArrayList<>(lines.size());
        Line previous = null;
        for (Line l : lines) {
            StringBuilder b = new StringBuilder(64);
            b.append(previous == null ? Long.toString(l.time()) : relative(previous.time(), l.time())).append(SEP)
                    .append(previous == null ? whole(l.sequence()) : relative(previous.sequence(), l.sequence())).append(SEP)
                    .append(l.index()).append(SEP);
            String[] fields = names(l);
            String[] before = previous == null ? null : names(previous);
            for (int i = 0; i < fields.length; i++) {
                String f = fields[i];
                if (f != null) {
                    b.append(before != null && f.equals(before[i]) ? String.valueOf(SAME) : i >= FROM ? stateCode(f) : f);
                }
                b.append(SEP);
            }
            b.append(l.message() == null ? "" : l.message());
            out.add(b.toString());
            previous = l;
        }
        return out;
    }

    /** The fields a line may share with the previous one: event, activity, stage, plugin, from, to. */
    private static String[] names(Line l) {
        return new String[] {l.event(), l.activity(), l.stage(), l.plugin(), l.from(), l.to()};
    }

    /** A state in {@code from} / {@code to}: one control character (states are few, names hold none), else as is. */
    private static String stateCode(String state) {
        int i = CODED_STATES.indexOf(state);
        return i < 0 ? state : String.valueOf((char) (STATE_CODE + i));
    }

    private static String fromStateCode(String field) {
        if (field.length() == 1) {
            int i = field.charAt(0) - STATE_CODE;
            if (i >= 0 && i < CODED_STATES.size()) {
                return CODED_STATES.get(i);
            }
        }
        return field;
    }

    /** The transitions of an item's {@code lines}; a line that does not parse is an error naming it. */
    public static List<Line> decode(List<String> lines) {
        List<Line> out = new ArrayList<>(lines.size());
        Long time = null;
        String sequence = null;
        for (String s : lines) {
            String[] f = s.split(String.valueOf(SEP), FIELDS);
            if (f.length != FIELDS) {
                throw new IllegalArgumentException("history line with " + f.length + " fields (expected " + FIELDS + "): "
                        + Names.shorten(s));
            }
            if (time == null && (f[0].isEmpty() || isRelative(f[0]))) {
                throw new IllegalArgumentException("first history line of an item without its time: " + Names.shorten(s));
            }
            time = f[0].isEmpty() ? time : isRelative(f[0]) ? time + Long.parseLong(f[0]) : Long.parseLong(f[0]);
            sequence = f[1].isEmpty() ? sequence
                    : isRelative(f[1]) ? new java.math.BigInteger(sequence).add(new java.math.BigInteger(f[1])).toString()
                    : f[1].startsWith("=") ? f[1].substring(1) : f[1];
            Line previous = out.isEmpty() ? null : out.get(out.size() - 1);
            String[] before = previous == null ? null : names(previous);
            String[] fields = new String[6];
            for (int i = 0; i < fields.length; i++) {
                String v = f[3 + i];
                if (v.equals(String.valueOf(SAME))) {
                    if (before == null) {
                        throw new IllegalArgumentException("first history line of an item repeats a field: " + Names.shorten(s));
                    }
                    fields[i] = before[i];
                } else {
                    fields[i] = blank(i >= FROM ? fromStateCode(v) : v);
                }
            }
            out.add(new Line(time, sequence, Integer.parseInt(f[2]), fields[0], fields[1], fields[2], fields[3],
                    fields[4], fields[5], blank(f[9])));
        }
        return out;
    }

    private static String relative(long previous, long time) {
        long d = time - previous;
        return d == 0 ? "" : (d > 0 ? "+" : "") + d;
    }

    /** A sequence number as a difference from the previous one when both are decimal numbers, else whole. */
    private static String relative(String previous, String sequence) {
        if (previous.equals(sequence)) {
            return "";
        }
        if (decimal(previous) && decimal(sequence)) {
            var d = new java.math.BigInteger(sequence).subtract(new java.math.BigInteger(previous));
            String delta = (d.signum() > 0 ? "+" : "") + d;
            if (delta.length() < sequence.length()) {
                return delta;
            }
        }
        return whole(sequence);
    }

    /** A whole sequence number; one that could be read as a difference or an escape is escaped with '='. */
    private static String whole(String sequence) {
        return sequence.isEmpty() || isRelative(sequence) || sequence.startsWith("=") ? "=" + sequence : sequence;
    }

    private static boolean isRelative(String field) {
        return field.startsWith("+") || field.startsWith("-");
    }

    private static boolean decimal(String s) {
        if (s.isEmpty() || s.length() > 60) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** The entry readers print and serve ({@code orchestrator history --json}): the shape history items always had. */
    public static ObjectNode entry(Line l) {
        ObjectNode e = Json.object();
        e.put("at", l.at());
        e.put("time", l.time());
        e.put("scope", l.scope());
        e.put("event", l.event());
        e.put("path", l.path());
        putIf(e, "activity", l.activity());
        putIf(e, "stage", l.stage());
        putIf(e, "plugin", l.plugin());
        putIf(e, "from", l.from());
        putIf(e, "to", l.to());
        putIf(e, "message", l.message());
        return e;
    }

    private static void putIf(ObjectNode e, String k, String v) {
        if (v != null) {
            e.put(k, v);
        }
    }

    private static String blank(String s) {
        return s.isEmpty() ? null : s;
    }
}
