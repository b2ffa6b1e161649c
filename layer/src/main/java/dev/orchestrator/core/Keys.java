package dev.orchestrator.core;

import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The keys of the status table (engine v3). One table holds three kinds of item, told apart by the
 * {@code uid} key alone:
 * <ul>
 * <li>a run header: {@code uid} = the run's uid, {@code workflow} = its workflow (runs never start with '~');</li>
 * <li>a plugin execution: {@code uid} = {@code ~<plugin>~<run uid>}, {@code workflow} =
 *     {@code <workflow>␟<activity>␟<stage>}. The partition key begins with the plugin's name, so IAM's
 *     {@code dynamodb:LeadingKeys} can confine a plugin to its own executions ({@code ~<plugin>~*});</li>
 * <li>a run's roster (what each entered stage lists, and who joined): {@code uid} = {@code ~~<run uid>},
 *     {@code workflow} = {@code <workflow>␟<activity>␟<stage>␟L␟<version>␟<chunk>} or {@code ...␟J␟<plugin>}.
 *     Plugin names cannot be empty, so no plugin's prefix reaches it.</li>
 * </ul>
 * ␟ is U+001F (unit separator): uids and workflows may not contain control characters, so keys parse back.
 */
public final class Keys {

    private Keys() {
    }

    public static final char SEP = '\u001F';
    public static final String EXEC_PREFIX = "~";
    public static final String ROSTER_PREFIX = "~~";
    /**
     * The IAM tag a plugin's execution role carries, valued with its plugin name: the stack's published plugin
     * policy (template.yaml, PluginExecutionPolicy) allows writes only where {@code dynamodb:LeadingKeys} is
     * {@code ~${aws:PrincipalTag/orchestrator-plugin}~*}. docs/security.md.
     */
    public static final String PLUGIN_TAG = "orchestrator-plugin";
    static final String LISTED = "L";
    static final String JOINED = "J";

    public enum Kind { HEADER, EXECUTION, ROSTER }

    /** Which kind of item a {@code uid} key names. */
    public static Kind kind(String uidKey) {
        if (uidKey.startsWith(ROSTER_PREFIX)) {
            return Kind.ROSTER;
        }
        return uidKey.startsWith(EXEC_PREFIX) ? Kind.EXECUTION : Kind.HEADER;
    }

    /**
     * One plugin's execution in one stage of one run; {@code index} set: its execution of one element of a map
     * (sort key {@code <workflow>␟<activity>␟parallel␟<index>}, same partition, so IAM's LeadingKeys still holds).
     */
    public record Execution(String plugin, String uid, String workflow, String activity, Stage stage, Integer index) {

        public Execution(String plugin, String uid, String workflow, String activity, Stage stage) {
            this(plugin, uid, workflow, activity, stage, null);
        }

        public String uidKey() {
            return EXEC_PREFIX + plugin + EXEC_PREFIX + uid;
        }

        public String sortKey() {
            return workflow + SEP + activity + SEP + stage.wireName() + (index == null ? "" : SEP + index.toString());
        }

        /** The same plugin's execution of element {@code i} of this stage's map. */
        public Execution element(int i) {
            return new Execution(plugin, uid, workflow, activity, stage, i);
        }

        public Map<String, AttributeValue> key() {
            return ItemCodec.key(uidKey(), sortKey());
        }
    }

    /** Parses an execution item's key; the plugin's name comes from the key, which IAM vouches for. */
    public static Execution execution(String uidKey, String sortKey) {
        if (kind(uidKey) != Kind.EXECUTION) {
            throw new IllegalArgumentException("not an execution key: " + Names.shorten(uidKey));
        }
        int second = uidKey.indexOf('~', 1);
        if (second < 2) {
            throw new IllegalArgumentException("execution key without a plugin name: " + Names.shorten(uidKey));
        }
        String plugin = uidKey.substring(1, second);
        String uid = uidKey.substring(second + 1);
        String[] p = sortKey.split(String.valueOf(SEP), -1);
        if ((p.length != 3 && p.length != 4) || uid.isEmpty()) {
            throw new IllegalArgumentException("execution sort key is not <workflow>␟<activity>␟<stage>[␟<index>]: " + Names.shorten(sortKey));
        }
        Integer index = null;
        if (p.length == 4) {
            try {
                index = Integer.valueOf(p[3]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("execution sort key's element index is not a number: " + Names.shorten(sortKey));
            }
            if (index < 0) {
                throw new IllegalArgumentException("execution sort key's element index is negative: " + Names.shorten(sortKey));
            }
        }
        return new Execution(plugin, uid, p[0], p[1], Stage.fromWire(p[2]), index);
    }

    /**
     * The partition of a run's map elements (the resolved lists, one item per element): {@code ~~<uid>␟items}. A run
     * uid holds no control character, so it meets neither a roster nor another run's; the engine writes it alone.
     */
    public static String itemsPartition(String uid) {
        return ROSTER_PREFIX + uid + SEP + "items";
    }

    /** One element of a map: sort key {@code <workflow>␟<activity>␟<index>}. */
    public static Map<String, AttributeValue> mapItem(String uid, String workflow, String activity, int index) {
        return ItemCodec.key(itemsPartition(uid), workflow + SEP + activity + SEP + index);
    }

    /**
     * The item holding the inputs a run was started with: partition {@code ~~<uid>␟inputs}, sort key
     * {@code <workflow>␟<digest>}. Like a map's elements, no plugin can write it (a plugin writes only
     * {@code ~<plugin>~} partitions); the digest makes a resume with other inputs a new item, never a change
     * under a running stage.
     */
    public static Map<String, AttributeValue> startInputsItem(String uid, String workflow, String digest) {
        return ItemCodec.key(ROSTER_PREFIX + uid + SEP + "inputs", workflow + SEP + digest);
    }

    public static String rosterPartition(String uid) {
        return ROSTER_PREFIX + uid;
    }

    /** The sort-key prefix of everything a run's roster holds (one Query, paginated, reads it all). */
    public static String rosterPrefix(String workflow) {
        return workflow + SEP;
    }

    public static Map<String, AttributeValue> listedChunk(String uid, String workflow, String activity, Stage stage,
                                                          long version, int chunk) {
        return ItemCodec.key(rosterPartition(uid), workflow + SEP + activity + SEP + stage.wireName() + SEP + LISTED
                + SEP + version + SEP + chunk);
    }

    public static Map<String, AttributeValue> joiner(String uid, String workflow, String activity, Stage stage,
                                                     String plugin) {
        return ItemCodec.key(rosterPartition(uid), workflow + SEP + activity + SEP + stage.wireName() + SEP + JOINED
                + SEP + plugin);
    }

    /** A roster item's sort key, read back: activity, stage, kind (L or J), and the version or plugin. */
    public record RosterRef(String activity, Stage stage, String kind, String rest) {
    }

    public static RosterRef roster(String workflow, String sortKey) {
        String tail = sortKey.substring(workflow.length() + 1);
        String[] p = tail.split(String.valueOf(SEP), 4);
        if (p.length < 4) {
            throw new IllegalArgumentException("roster sort key is malformed: " + Names.shorten(sortKey));
        }
        return new RosterRef(p[0], Stage.fromWire(p[1]), p[2], p[3]);
    }

    /** A uid or workflow a run may have: no leading '~' for a uid (reserved for executions), no control characters. */
    public static String keyProblem(String field, String value) {
        if ("uid".equals(field) && value.startsWith(EXEC_PREFIX)) {
            return "uid must not start with '~' (reserved for plugin executions)";
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                return field + " must not contain control characters (found U+" + String.format("%04X", (int) value.charAt(i)) + ")";
            }
        }
        return null;
    }

    static Map<String, AttributeValue> copy(Map<String, AttributeValue> m) {
        return new LinkedHashMap<>(m);
    }
}
