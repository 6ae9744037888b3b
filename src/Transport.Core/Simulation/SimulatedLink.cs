using System.Net;
using Transport.Core.Time;

namespace Transport.Core.Simulation;

/// <summary>The state of one direction of a link, from <see cref="From"/> to <see cref="To"/> (real addresses).</summary>
internal sealed class SimulatedLink
{
    public SimulatedLink(IPEndPoint from, IPEndPoint to, ulong seed)
    {
        From = from;
        To = to;
        Random = new SimulationRandom(seed);
        Conditions = LinkConditions.Perfect;
    }

    public IPEndPoint From { get; }
    public IPEndPoint To { get; }

    /// <summary>Whether the link follows the simulator's default conditions (no SetLink for it).</summary>
    public bool UsesDefault;

    public LinkConditions Conditions { get; private set; }

    // Copies of the conditions' lists, sorted, so the hot path reads arrays.
    public BlackholeWindow[] Blackholes = [];
    public AddressRebind[] Rebinds = [];

    public SimulationRandom Random;

    // Gilbert-Elliott chain state.
    public bool InBadState;

    // Bottleneck: the instant (ticks) the transmitter becomes free, and the datagrams not yet fully serialized.
    public long BusyUntilTicks;
    public readonly Queue<(long DepartureTicks, int Size)> Queue = new();
    public long QueuedBytes;

    // Copies travelling that keep their FIFO place, in delivery order (see DeliveryQueue).
    public readonly Queue<PendingDelivery> InOrder = new();

    // FIFO rule: the latest delivery instant (ticks) of a datagram not picked for reordering.
    public long LastInOrderDeliveryTicks;

    // Per-link send sequence, and the highest one delivered so far (to count out-of-order deliveries).
    public long NextSequence;
    public long HighestDeliveredSequence = -1;

    // Counters.
    public long Sent, SentBytes, Delivered, DeliveredBytes;
    public long DroppedLoss, DroppedBurstLoss, DroppedQueueFull, DroppedMtu, DroppedBlackhole, DroppedStaleAddress;
    public long Corrupted, Duplicated, Reordered, DeliveredOutOfOrder, InFlight;

    public void Apply(LinkConditions conditions)
    {
        Conditions = conditions;
        Blackholes = [.. conditions.Blackholes];
        Array.Sort(Blackholes, static (a, b) => a.Start.CompareTo(b.Start));
        Rebinds = [.. conditions.Rebinds];
        Array.Sort(Rebinds, static (a, b) => a.At.CompareTo(b.At));
        if (conditions.GilbertElliott is null) InBadState = false;
    }

    /// <summary>Whether a datagram sent at <paramref name="ticks"/> falls in a blackhole window.</summary>
    public bool InBlackhole(long ticks)
    {
        var windows = Blackholes;
        for (int i = 0; i < windows.Length; i++)
        {
            if (windows[i].Start.Ticks > ticks) return false; // sorted by start
            if (ticks < windows[i].End.Ticks) return true;
        }
        return false;
    }

    /// <summary>
    /// The NAT mapping in force at <paramref name="ticks"/>: 0 before the first rebinding (the sender's own address),
    /// i after the i-th.
    /// </summary>
    public int EpochAt(long ticks)
    {
        var rebinds = Rebinds;
        int epoch = 0;
        while (epoch < rebinds.Length && rebinds[epoch].At.Ticks <= ticks) epoch++;
        return epoch;
    }

    /// <summary>The sender's address as the receiver sees it under mapping <paramref name="epoch"/>.</summary>
    public IPEndPoint AddressOf(int epoch) => epoch == 0 ? From : Rebinds[epoch - 1].NewAddress;

    public LinkStatistics Snapshot() => new()
    {
        Sent = Sent,
        SentBytes = SentBytes,
        Delivered = Delivered,
        DeliveredBytes = DeliveredBytes,
        DroppedLoss = DroppedLoss,
        DroppedBurstLoss = DroppedBurstLoss,
        DroppedQueueFull = DroppedQueueFull,
        DroppedMtu = DroppedMtu,
        DroppedBlackhole = DroppedBlackhole,
        DroppedStaleAddress = DroppedStaleAddress,
        Corrupted = Corrupted,
        Duplicated = Duplicated,
        Reordered = Reordered,
        DeliveredOutOfOrder = DeliveredOutOfOrder,
        InFlight = InFlight,
    };
}
