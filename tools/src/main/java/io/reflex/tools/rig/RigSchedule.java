package io.reflex.tools.rig;

/**
 * When the rig's source makes each sample available: sample {@code k} belongs to chunk {@code k / chunk}, and a chunk
 * is sent whole at the time of its last sample, {@code t0 + (last + 1) / rate}. Latency is charged from these times,
 * never from when a send actually happened (coordinated omission: a stalled machine delays the sends too, and a
 * measurement from the actual send would hide exactly the stall it should show).
 */
public final class RigSchedule {
    private final long t0Ns;
    private final double rateHz;
    private final int chunk;
    private final int samplesPerBin;

    /**
     * @param t0Ns          nanoTime origin; the first chunk is due one chunk after it
     * @param rateHz        samples per second (positive)
     * @param chunk         samples sent together (≥ 1)
     * @param samplesPerBin samples per decoded bin (≥ 1)
     */
    public RigSchedule(long t0Ns, double rateHz, int chunk, int samplesPerBin) {
        if (!(rateHz > 0) || chunk < 1 || samplesPerBin < 1) {
            throw new IllegalArgumentException("rate must be > 0, chunk and samples per bin ≥ 1; got " + rateHz
                    + ", " + chunk + ", " + samplesPerBin);
        }
        this.t0Ns = t0Ns;
        this.rateHz = rateHz;
        this.chunk = chunk;
        this.samplesPerBin = samplesPerBin;
    }

    public long t0Ns() {
        return t0Ns;
    }

    public double rateHz() {
        return rateHz;
    }

    public int chunk() {
        return chunk;
    }

    public int samplesPerBin() {
        return samplesPerBin;
    }

    /** The sample's own time (its acquisition), ns: {@code t0 + (k + 1) / rate}. */
    public long sampleNs(long k) {
        return t0Ns + Math.round((k + 1) * 1e9 / rateHz);
    }

    /** When sample {@code k} is sent: with its chunk, at the time of the chunk's last sample. */
    public long sendNs(long k) {
        return sampleNs((k / chunk) * chunk + chunk - 1);
    }

    /** When the last sample of bin {@code b} is sent: the bin's output is caused by it. */
    public long binSendNs(long b) {
        return sendNs(lastSampleOfBin(b));
    }

    /** The index of bin {@code b}'s last sample. */
    public long lastSampleOfBin(long b) {
        return (b + 1) * samplesPerBin - 1;
    }

    /** The sample's timestamp as the source stamps it (the LSL clock: nanoTime seconds). */
    public double timestampS(long k) {
        return sampleNs(k) * 1e-9;
    }

    /**
     * The sample whose timestamp is {@code timestampS}, or -1 when none is within a quarter of a sample period of it
     * (a timestamp shifted by a clock correction of a few µs still matches; a foreign one does not).
     */
    public long sampleAt(double timestampS) {
        double k = (timestampS * 1e9 - t0Ns) * rateHz / 1e9 - 1;
        long nearest = Math.round(k);
        return nearest >= 0 && Math.abs(k - nearest) <= 0.25 ? nearest : -1;
    }

    /**
     * The bin whose last sample's timestamp is nearest {@code timestampS}, or -1 when none is within a quarter of a
     * bin of it. For outputs stamped by a consumer's clock post-processing (time correction, dejittering): on a loaded
     * machine these move a timestamp by more than a quarter of a sample, never by a quarter of a bin; a foreign
     * timestamp still matches nothing.
     */
    public long binNear(double timestampS) {
        double k = (timestampS * 1e9 - t0Ns) * rateHz / 1e9 - 1;
        double b = (k + 1) / samplesPerBin - 1;
        long nearest = Math.round(b);
        return nearest >= 0 && Math.abs(b - nearest) <= 0.25 ? nearest : -1;
    }

    /** The bin whose last sample is {@code k}, or -1 when {@code k} ends no bin. */
    public long binEndingAt(long k) {
        return k >= 0 && (k + 1) % samplesPerBin == 0 ? (k + 1) / samplesPerBin - 1 : -1;
    }
}
