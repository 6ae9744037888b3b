namespace Transport.Core.Simulation;

/// <summary>
/// The impairments of one direction of a simulated link (from one endpoint to another). Immutable: derive variants with
/// <c>with { ... }</c>. Every impairment is off by default, so <c>new LinkConditions()</c> is a perfect link with zero
/// delay; <see cref="NetworkSimulator.SetLink"/> checks the values and throws <see cref="ArgumentException"/> naming the
/// first bad one.
/// </summary>
/// <remarks>
/// A datagram sent on the link goes through these stages, in order:
/// <list type="number">
/// <item>MTU: larger than <see cref="Mtu"/> bytes, dropped.</item>
/// <item>Blackhole: sent inside one of the <see cref="Blackholes"/> windows, dropped.</item>
/// <item>Burst loss: the <see cref="GilbertElliott"/> chain decides, then steps.</item>
/// <item>Random loss: dropped with probability <see cref="LossRate"/>.</item>
/// <item>Duplication: with probability <see cref="DuplicateRate"/> a second copy follows the first; each copy goes
/// through the remaining stages on its own.</item>
/// <item>Bottleneck: with a <see cref="BandwidthBitsPerSecond"/>, the copy joins a FIFO queue in front of a link that
/// serializes size·8/bandwidth seconds per datagram; it is dropped (drop-tail) when the queue already holds
/// <see cref="QueueCapacityPackets"/> datagrams or the copy would take it beyond <see cref="QueueCapacityBytes"/>.
/// The queue counts every datagram not yet fully serialized, the one on the wire included.</item>
/// <item>Corruption: with probability <see cref="CorruptRate"/> one random bit of the copy is flipped.</item>
/// <item>Propagation: the copy arrives <see cref="Delay"/> after it leaves the bottleneck, plus a uniform offset in
/// [-<see cref="Jitter"/>, +<see cref="Jitter"/>] (never before it left). Jitter never reorders: a copy never arrives
/// before one sent earlier on the same link, unless it is picked for reordering.</item>
/// <item>Reordering: with probability <see cref="ReorderRate"/> the copy is held back <see cref="ReorderDelay"/>
/// behind its place in the FIFO order, so datagrams sent after it may overtake it (it never overtakes earlier ones).</item>
/// </list>
/// </remarks>
public sealed record LinkConditions
{
    /// <summary>A link with no impairment at all: zero delay, no loss, unlimited bandwidth.</summary>
    public static LinkConditions Perfect { get; } = new();

    /// <summary>One-way propagation delay, added after the bottleneck. Default zero.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Half-width of the uniform random offset added to <see cref="Delay"/>. Default zero.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>Probability that a datagram is lost at random (independently of others). Default 0.</summary>
    public double LossRate { get; init; }

    /// <summary>Burst loss (Gilbert-Elliott model), or null for none. Default null.</summary>
    public GilbertElliottModel? GilbertElliott { get; init; }

    /// <summary>Probability that a datagram is held back by <see cref="ReorderDelay"/> so later ones overtake it. Default 0.</summary>
    public double ReorderRate { get; init; }

    /// <summary>The extra delay of a datagram picked for reordering. Default zero.</summary>
    public TimeSpan ReorderDelay { get; init; }

    /// <summary>Probability that a datagram is delivered twice. Default 0.</summary>
    public double DuplicateRate { get; init; }

    /// <summary>Probability that a delivered copy has one random bit flipped. Default 0.</summary>
    public double CorruptRate { get; init; }

    /// <summary>Bottleneck bandwidth in bits per second; 0 means unlimited (no queue forms). Default 0.</summary>
    public long BandwidthBitsPerSecond { get; init; }

    /// <summary>Most datagrams the bottleneck queue holds (drop-tail); 0 means no limit. Only with a bandwidth. Default 0.</summary>
    public int QueueCapacityPackets { get; init; }

    /// <summary>Most bytes the bottleneck queue holds (drop-tail); 0 means no limit. Only with a bandwidth. Default 0.</summary>
    public long QueueCapacityBytes { get; init; }

    /// <summary>
    /// The link clears the ECN bits of every datagram (a path that bleaches the codepoint, RFC 9000 §13.4.2). Default false.
    /// </summary>
    public bool EcnBleach { get; init; }

    /// <summary>
    /// Probability that an ECN-capable datagram (ECT(0) or ECT(1)) arrives marked CE (Congestion Experienced, RFC 3168)
    /// instead. Default 0.
    /// </summary>
    public double CeMarkRate { get; init; }

    /// <summary>
    /// An AQM step marking at the bottleneck: an ECN-capable datagram that finds at least this many datagrams in the queue
    /// is marked CE instead of waiting unmarked (a Not-ECT one just queues). 0 (default): no marking. Only with a bandwidth.
    /// </summary>
    public int CeMarkQueueThresholdPackets { get; init; }

    /// <summary>Largest datagram (UDP payload bytes) the link carries; larger ones are dropped. 0 means no limit. Default 0.</summary>
    public int Mtu { get; init; }

    /// <summary>Windows during which every datagram sent on the link is dropped. Default none.</summary>
    public IReadOnlyList<BlackholeWindow> Blackholes { get; init; } = [];

    /// <summary>
    /// NAT rebindings of the sender's address as the receiver sees it, at configured instants. Only on links set with
    /// <see cref="NetworkSimulator.SetLink"/> (not on the default). Default none.
    /// </summary>
    public IReadOnlyList<AddressRebind> Rebinds { get; init; } = [];

    // Large enough for any network, small enough that 2·Jitter cannot overflow.
    private static readonly TimeSpan MaxJitter = TimeSpan.FromDays(365);

    internal void Validate(string paramName, bool allowRebinds)
    {
        if (Delay < TimeSpan.Zero) throw new ArgumentException($"Delay must not be negative (was {Delay}).", paramName);
        if (Jitter < TimeSpan.Zero || Jitter > MaxJitter)
            throw new ArgumentException($"Jitter must be between zero and {MaxJitter} (was {Jitter}).", paramName);
        if (ReorderDelay < TimeSpan.Zero) throw new ArgumentException($"ReorderDelay must not be negative (was {ReorderDelay}).", paramName);
        CheckProbability(LossRate, paramName, nameof(LossRate));
        CheckProbability(ReorderRate, paramName, nameof(ReorderRate));
        CheckProbability(DuplicateRate, paramName, nameof(DuplicateRate));
        CheckProbability(CorruptRate, paramName, nameof(CorruptRate));
        CheckProbability(CeMarkRate, paramName, nameof(CeMarkRate));
        if (CeMarkQueueThresholdPackets < 0)
            throw new ArgumentException($"CeMarkQueueThresholdPackets must not be negative (was {CeMarkQueueThresholdPackets}); 0 means no marking.", paramName);
        GilbertElliott?.Validate(paramName);
        if (BandwidthBitsPerSecond < 0)
            throw new ArgumentException($"BandwidthBitsPerSecond must not be negative (was {BandwidthBitsPerSecond}); 0 means unlimited.", paramName);
        if (QueueCapacityPackets < 0)
            throw new ArgumentException($"QueueCapacityPackets must not be negative (was {QueueCapacityPackets}); 0 means no limit.", paramName);
        if (QueueCapacityBytes < 0)
            throw new ArgumentException($"QueueCapacityBytes must not be negative (was {QueueCapacityBytes}); 0 means no limit.", paramName);
        if (Mtu < 0) throw new ArgumentException($"Mtu must not be negative (was {Mtu}); 0 means no limit.", paramName);
        if (Blackholes is null) throw new ArgumentException("Blackholes must not be null (use an empty list).", paramName);
        foreach (var window in Blackholes)
        {
            if (window.End < window.Start)
                throw new ArgumentException($"Blackhole window ends ({window.End}) before it starts ({window.Start}).", paramName);
        }
        if (Rebinds is null) throw new ArgumentException("Rebinds must not be null (use an empty list).", paramName);
        if (Rebinds.Count > 0 && !allowRebinds)
            throw new ArgumentException("The default link conditions cannot have Rebinds: a rebinding names a new address for one sender, so set it on that link with SetLink.", paramName);
        foreach (var rebind in Rebinds)
        {
            if (rebind.NewAddress is null) throw new ArgumentException("A rebinding's NewAddress must not be null.", paramName);
        }
    }

    internal static void CheckProbability(double value, string paramName, string what)
    {
        if (!(value >= 0 && value <= 1)) // also rejects NaN
            throw new ArgumentException($"{what} must be a probability in [0, 1] (was {value}).", paramName);
    }
}
