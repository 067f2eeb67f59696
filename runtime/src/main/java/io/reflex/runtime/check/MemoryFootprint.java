package io.reflex.runtime.check;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * What a config will make the runtime allocate on the heap, item by item, computed before anything is allocated:
 * the pipeline ring (every slot holds a bin of raw samples), the ingest block, the calibration block and the live
 * linear decoder's channel-by-channel matrix. It is a lower bound of the largest allocations, each sized by the
 * config alone; decoder models and the JVM itself come on top. {@link #check(long)} refuses a config whose total
 * exceeds half of the heap it will run in, naming the figure, so that {@code reflex daemon --check} catches a
 * config needing 268 GB instead of the run dying with an {@link OutOfMemoryError}.
 */
public final class MemoryFootprint {
    /** One sized allocation: what it is, how it is computed, and its bytes. */
    public record Item(String name, String formula, long bytes) {
    }

    private final List<Item> items = new ArrayList<>();
    private long totalBytes;

    /** An empty footprint; the config adds its items. */
    public MemoryFootprint() {
    }

    /** Adds an item of {@code factors} multiplied together (saturating, so huge configs cannot overflow). */
    public MemoryFootprint add(String name, String formula, long... factors) {
        long b = 1;
        for (long f : factors) {
            b = satMul(b, Math.max(0, f));
        }
        items.add(new Item(name, formula, b));
        totalBytes = totalBytes > Long.MAX_VALUE - b ? Long.MAX_VALUE : totalBytes + b;
        return this;
    }

    private static long satMul(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }

    /** The items, in the order they were added. */
    public List<Item> items() {
        return Collections.unmodifiableList(items);
    }

    /** Sum of the items, bytes (saturated at {@link Long#MAX_VALUE}). */
    public long totalBytes() {
        return totalBytes;
    }

    /** The bound for a JVM whose maximum heap is {@code maxHeapBytes}: half of it. */
    public static long boundBytes(long maxHeapBytes) {
        return maxHeapBytes / 2;
    }

    /**
     * Refuses the config when {@link #totalBytes()} exceeds {@link #boundBytes(long)}; returns this.
     *
     * @throws ConfigException naming the total, the largest item and what to lower
     */
    public MemoryFootprint check(long maxHeapBytes) {
        long bound = boundBytes(maxHeapBytes);
        if (totalBytes > bound) {
            Item largest = items.get(0);
            for (Item i : items) {
                if (i.bytes() > largest.bytes()) {
                    largest = i;
                }
            }
            throw new ConfigException("memory", "this config needs at least " + human(totalBytes)
                    + " of heap, more than the bound of " + human(bound) + " (half of the JVM's maximum heap, "
                    + human(maxHeapBytes) + "); the largest item is the " + largest.name() + ": "
                    + largest.formula() + " = " + human(largest.bytes())
                    + ". Lower source.channels, pipeline.binWidthUs, pipeline.ringSize or calibration.seconds,"
                    + " or give the JVM more heap (-Xmx)");
        }
        return this;
    }

    /** One line per item and the total, as {@code --check} prints them. */
    public String describe(long maxHeapBytes) {
        StringBuilder sb = new StringBuilder();
        for (Item i : items) {
            sb.append(String.format(Locale.ROOT, "  %-22s %12s  (%s)%n", i.name(), human(i.bytes()), i.formula()));
        }
        sb.append(String.format(Locale.ROOT, "  %-22s %12s  (bound: %s, half of the maximum heap %s)%n", "total",
                human(totalBytes), human(boundBytes(maxHeapBytes)), human(maxHeapBytes)));
        return sb.toString();
    }

    /** Bytes in decimal units with one decimal, e.g. {@code 268.4 GB}. */
    public static String human(long bytes) {
        if (bytes == Long.MAX_VALUE) {
            return "more than 9.2 EB";
        }
        String[] units = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
