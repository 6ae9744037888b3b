namespace Transport.Core.Simulation;

/// <summary>
/// Counters of one direction of a simulated link (or, from <see cref="NetworkSimulator.GetTotalStatistics"/>, of all
/// links summed). Every datagram sent, and every duplicate the link made, ends up delivered, dropped, or still in flight:
/// <c>Sent + Duplicated == Delivered + Dropped + InFlight</c>.
/// </summary>
public readonly record struct LinkStatistics
{
    /// <summary>Datagrams handed to <see cref="NetworkSimulator.Send"/> on this link.</summary>
    public long Sent { get; init; }

    /// <summary>Bytes handed to <see cref="NetworkSimulator.Send"/> on this link.</summary>
    public long SentBytes { get; init; }

    /// <summary>Datagrams (duplicates included) delivered to the receiver.</summary>
    public long Delivered { get; init; }

    /// <summary>Bytes delivered to the receiver.</summary>
    public long DeliveredBytes { get; init; }

    /// <summary>Datagrams dropped by random loss (<see cref="LinkConditions.LossRate"/>).</summary>
    public long DroppedLoss { get; init; }

    /// <summary>Datagrams dropped by burst loss (<see cref="LinkConditions.GilbertElliott"/>).</summary>
    public long DroppedBurstLoss { get; init; }

    /// <summary>Datagrams (duplicates included) dropped because the bottleneck queue was full.</summary>
    public long DroppedQueueFull { get; init; }

    /// <summary>Datagrams dropped for being larger than <see cref="LinkConditions.Mtu"/>.</summary>
    public long DroppedMtu { get; init; }

    /// <summary>Datagrams dropped because they were sent during a blackhole window.</summary>
    public long DroppedBlackhole { get; init; }

    /// <summary>Datagrams dropped at the receiver's NAT because they were addressed to a mapping that was not current.</summary>
    public long DroppedStaleAddress { get; init; }

    /// <summary>Copies that had a bit flipped (counted when the bit is flipped, whether or not the copy is delivered).</summary>
    public long Corrupted { get; init; }

    /// <summary>Extra copies the link made.</summary>
    public long Duplicated { get; init; }

    /// <summary>Copies picked for reordering (held back by <see cref="LinkConditions.ReorderDelay"/>).</summary>
    public long Reordered { get; init; }

    /// <summary>Delivered datagrams that arrived after a datagram sent later on the same link.</summary>
    public long DeliveredOutOfOrder { get; init; }

    /// <summary>Datagrams (duplicates included) sent but neither delivered nor dropped yet.</summary>
    public long InFlight { get; init; }

    /// <summary>All drops, whatever the reason.</summary>
    public long Dropped => DroppedLoss + DroppedBurstLoss + DroppedQueueFull + DroppedMtu + DroppedBlackhole + DroppedStaleAddress;

    /// <summary>Sums two sets of counters.</summary>
    public static LinkStatistics operator +(LinkStatistics a, LinkStatistics b) => new()
    {
        Sent = a.Sent + b.Sent,
        SentBytes = a.SentBytes + b.SentBytes,
        Delivered = a.Delivered + b.Delivered,
        DeliveredBytes = a.DeliveredBytes + b.DeliveredBytes,
        DroppedLoss = a.DroppedLoss + b.DroppedLoss,
        DroppedBurstLoss = a.DroppedBurstLoss + b.DroppedBurstLoss,
        DroppedQueueFull = a.DroppedQueueFull + b.DroppedQueueFull,
        DroppedMtu = a.DroppedMtu + b.DroppedMtu,
        DroppedBlackhole = a.DroppedBlackhole + b.DroppedBlackhole,
        DroppedStaleAddress = a.DroppedStaleAddress + b.DroppedStaleAddress,
        Corrupted = a.Corrupted + b.Corrupted,
        Duplicated = a.Duplicated + b.Duplicated,
        Reordered = a.Reordered + b.Reordered,
        DeliveredOutOfOrder = a.DeliveredOutOfOrder + b.DeliveredOutOfOrder,
        InFlight = a.InFlight + b.InFlight,
    };
}
