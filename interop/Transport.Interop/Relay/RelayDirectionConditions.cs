namespace Transport.Interop.Relay;

/// <summary>
/// The per-direction impairments of a <see cref="RelayScenario"/> (towards the client or towards the server), with the
/// quic-network-simulator's semantics. Applied when a datagram reaches the far end of the link (after the bottleneck
/// queue and the propagation delay), as the simulator's ns-3 <c>ReceiveErrorModel</c>s are.
/// </summary>
public sealed record RelayDirectionConditions
{
    /// <summary>No impairment.</summary>
    public static RelayDirectionConditions None { get; } = new();

    /// <summary>
    /// drop-rate: percentage (0..100, integer as in the simulator's <c>uniform_int(0, 99) &lt; rate</c>) of datagrams
    /// dropped at random.
    /// </summary>
    public int DropRatePercent { get; init; }

    /// <summary>drop-rate: most consecutive random drops (<c>--burst_to_*</c>); <see cref="int.MaxValue"/> = no limit.</summary>
    public int DropBurst { get; init; } = int.MaxValue;

    /// <summary>corrupt-rate: percentage (0..100) of datagrams with one byte replaced. Version Negotiation is never corrupted.</summary>
    public int CorruptRatePercent { get; init; }

    /// <summary>corrupt-rate: most consecutive corrupted datagrams; <see cref="int.MaxValue"/> = no limit.</summary>
    public int CorruptBurst { get; init; } = int.MaxValue;

    /// <summary>droplist: 1-based indices of the datagrams (in arrival order at the far end of this direction) to drop.</summary>
    public IReadOnlySet<int> DropList { get; init; } = new HashSet<int>();

    /// <summary>blackhole: whether the scenario's blackhole windows apply to this direction (the simulator's <c>--direction</c>).</summary>
    public bool Blackholed { get; init; } = true;

    internal void Validate(string what)
    {
        if (DropRatePercent is < 0 or > 100)
            throw new ArgumentException($"{what}.DropRatePercent must be in [0, 100] (was {DropRatePercent}).");
        if (CorruptRatePercent is < 0 or > 100)
            throw new ArgumentException($"{what}.CorruptRatePercent must be in [0, 100] (was {CorruptRatePercent}).");
        if (DropBurst < 0) throw new ArgumentException($"{what}.DropBurst must not be negative (was {DropBurst}).");
        if (CorruptBurst < 0) throw new ArgumentException($"{what}.CorruptBurst must not be negative (was {CorruptBurst}).");
        if (DropList is null) throw new ArgumentException($"{what}.DropList must not be null (use an empty set).");
        foreach (int index in DropList)
        {
            if (index < 1) throw new ArgumentException($"{what}.DropList indices are 1-based (found {index}).");
        }
    }
}
