using System.Net;
using Transport.Core.Time;

namespace Transport.Core.Simulation;

/// <summary>
/// A deterministic network in virtual time between any number of endpoints named by <see cref="IPEndPoint"/>s.
/// Each direction of each pair of endpoints is a link with its own <see cref="LinkConditions"/> (delay, jitter, random
/// and burst loss, reordering, duplication, corruption, a bandwidth bottleneck with a drop-tail queue, MTU, blackholes,
/// NAT rebinding) and its own <see cref="LinkStatistics"/>.
/// </summary>
/// <remarks>
/// <para>The simulator never reads a clock: every call takes the current instant, and instants given to one simulator
/// must never go back. A typical loop advances a <see cref="VirtualClock"/> to the earliest of
/// <see cref="NextDeliveryTime"/> and the endpoints' own timers, delivers with <see cref="TryReceive"/> (or
/// <see cref="DeliverDue"/>), and lets the endpoints <see cref="Send"/>.</para>
/// <para>Runs are reproducible: the same seed and the same sequence of calls give the same deliveries, bit for bit.
/// Each link draws from its own random generator, seeded from the simulator's seed and the link's two addresses, so
/// traffic on one link does not change the fate of datagrams on another.</para>
/// <para>Endpoints need no registration: a datagram sent to any address is delivered, addressed to it. Payloads are copied
/// into buffers the simulator pools (it keeps as many as were ever in flight at once); nothing is allocated per
/// datagram in steady state.</para>
/// <para>Not thread-safe: drive one simulator from one thread.</para>
/// </remarks>
public sealed class NetworkSimulator
{
    private readonly Dictionary<(IPEndPoint From, IPEndPoint To), SimulatedLink> _links = new();
    private readonly List<SimulatedLink> _linksInCreationOrder = new();
    // (receiver of a reply, address the reply is sent to) -> the link whose sender is behind that NAT mapping.
    private readonly Dictionary<(IPEndPoint Observer, IPEndPoint Address), SimulatedLink> _natMappings = new();
    private readonly DeliveryQueue _pending = new();
    private readonly PayloadPool _pool = new();
    private LinkConditions _defaultConditions = LinkConditions.Perfect;
    private long _nextDeliverySequence;
    private long _nowTicks;
    private byte[]? _lastDelivered;
    private SimulatedLink? _lastLink;

    /// <summary>Creates an empty network whose links are all <see cref="LinkConditions.Perfect"/> until configured.</summary>
    /// <param name="seed">Seeds every random choice; the same seed and calls give the same run.</param>
    public NetworkSimulator(int seed) => Seed = seed;

    /// <summary>The seed given to the constructor.</summary>
    public int Seed { get; }

    /// <summary>The latest instant given to any call so far (<see cref="Instant.Zero"/> at first).</summary>
    public Instant Now => Instant.FromTicks(_nowTicks);

    /// <summary>
    /// The conditions of every link not configured with <see cref="SetLink"/>, including links already used.
    /// Default <see cref="LinkConditions.Perfect"/>. May not contain <see cref="LinkConditions.Rebinds"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A value is out of range, or rebindings are given.</exception>
    public LinkConditions DefaultConditions
    {
        get => _defaultConditions;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate(nameof(value), allowRebinds: false);
            _defaultConditions = value;
            foreach (var link in _linksInCreationOrder)
            {
                if (link.UsesDefault) link.Apply(value);
            }
        }
    }

    /// <summary>
    /// The instant of the earliest datagram still travelling, or null when none is. (A datagram due then may still be
    /// dropped on arrival, by the receiver's NAT, so a receive call at that instant can come back empty.)
    /// </summary>
    public Instant? NextDeliveryTime => _pending.TryPeekTicks(out long ticks) ? Instant.FromTicks(ticks) : null;

    /// <summary>How many copies of datagrams are travelling (sent, neither delivered nor dropped yet).</summary>
    public int InFlightCount => _pending.Count;

    /// <summary>
    /// Sets the conditions of the link from <paramref name="from"/> to <paramref name="to"/> (one direction). May be
    /// called at any time: datagrams already travelling keep the fate they were given; the link's counters, queue and
    /// burst-loss state carry over, and it stays FIFO (after a cut in delay, new datagrams wait behind those travelling).
    /// </summary>
    /// <exception cref="ArgumentException">A value is out of range, or a rebinding's address is already a mapping of
    /// another sender as seen by <paramref name="to"/>.</exception>
    public void SetLink(IPEndPoint from, IPEndPoint to, LinkConditions conditions)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(conditions);
        conditions.Validate(nameof(conditions), allowRebinds: true);
        var link = GetOrCreateLink(from, to);

        // Check every new NAT mapping before changing anything.
        if (conditions.Rebinds.Count > 0)
        {
            CheckMappingFree(to, from, link);
            foreach (var rebind in conditions.Rebinds) CheckMappingFree(to, rebind.NewAddress, link);
        }

        if (link.Rebinds.Length > 0)
        {
            _natMappings.Remove((to, link.From));
            foreach (var rebind in link.Rebinds) _natMappings.Remove((to, rebind.NewAddress));
        }
        link.UsesDefault = false;
        link.Apply(conditions);
        if (link.Rebinds.Length > 0)
        {
            _natMappings[(to, link.From)] = link;
            foreach (var rebind in link.Rebinds) _natMappings[(to, rebind.NewAddress)] = link;
        }
    }

    /// <summary>Sets the same conditions on both directions between <paramref name="a"/> and <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentException">A value is out of range, or rebindings are given (they belong to one direction).</exception>
    public void SetLinkBothWays(IPEndPoint a, IPEndPoint b, LinkConditions conditions)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        if (conditions.Rebinds.Count > 0)
            throw new ArgumentException("Rebinds belong to one direction (they rename one sender); use SetLink for that direction.", nameof(conditions));
        SetLink(a, b, conditions);
        SetLink(b, a, conditions);
    }

    /// <summary>The conditions in force on the link from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public LinkConditions GetLink(IPEndPoint from, IPEndPoint to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return _links.TryGetValue((from, to), out var link) ? link.Conditions : _defaultConditions;
    }

    /// <summary>
    /// Sends a datagram from <paramref name="from"/> to <paramref name="to"/> at <paramref name="now"/>. The bytes are
    /// copied; the span may be reused at once. When <paramref name="to"/> is a NAT mapping of another endpoint as seen by
    /// <paramref name="from"/> (see <see cref="AddressRebind"/>), the datagram travels on the link to that endpoint and is
    /// delivered only if the mapping is still current when it arrives. <paramref name="ecn"/> is the ECN codepoint of its
    /// IP header (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE), which the link may bleach or mark (see <see cref="SimulatedDatagram.Ecn"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="now"/> is before <see cref="Now"/>, or the codepoint is above 3.</exception>
    public void Send(Instant now, IPEndPoint from, IPEndPoint to, ReadOnlySpan<byte> datagram, byte ecn = 0)
    {
        if (ecn > 3) throw new ArgumentOutOfRangeException(nameof(ecn), ecn, "An ECN codepoint is 0 to 3.");
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        AdvanceTime(now);
        long t = now.Ticks;

        IPEndPoint destination = to;
        SimulatedLink? natLink = null;
        IPEndPoint? addressedTo = null;
        if (_natMappings.Count != 0 && _natMappings.TryGetValue((from, to), out var mapped))
        {
            natLink = mapped;
            destination = mapped.From;
            addressedTo = to;
        }

        var link = GetOrCreateLink(from, destination);
        var c = link.Conditions;
        link.Sent++;
        link.SentBytes += datagram.Length;

        if (c.Mtu != 0 && datagram.Length > c.Mtu)
        {
            link.DroppedMtu++;
            return;
        }
        if (link.Blackholes.Length != 0 && link.InBlackhole(t))
        {
            link.DroppedBlackhole++;
            return;
        }
        var ge = c.GilbertElliott;
        if (ge is not null)
        {
            bool lost = link.Random.Chance(link.InBadState ? ge.LossInBad : ge.LossInGood);
            link.InBadState = link.InBadState ? !link.Random.Chance(ge.BadToGood) : link.Random.Chance(ge.GoodToBad);
            if (lost)
            {
                link.DroppedBurstLoss++;
                return;
            }
        }
        if (link.Random.Chance(c.LossRate))
        {
            link.DroppedLoss++;
            return;
        }

        IPEndPoint source = link.Rebinds.Length == 0 ? from : link.AddressOf(link.EpochAt(t));
        bool duplicate = link.Random.Chance(c.DuplicateRate);
        long sequence = link.NextSequence++;
        if (c.EcnBleach) ecn = 0;
        Transmit(link, c, t, datagram, source, sequence, natLink, addressedTo, ecn);
        if (duplicate)
        {
            link.Duplicated++;
            Transmit(link, c, t, datagram, source, sequence, natLink, addressedTo, ecn);
        }
    }

    /// <summary>
    /// Takes the next datagram due at or before <paramref name="now"/>, in delivery order (by arrival instant, ties in
    /// the order they were scheduled). Its payload stays valid until the next call to this method or
    /// <see cref="DeliverDue"/>.
    /// </summary>
    /// <returns>False when nothing is due.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="now"/> is before <see cref="Now"/>.</exception>
    public bool TryReceive(Instant now, out SimulatedDatagram datagram)
    {
        AdvanceTime(now);
        ReleaseLastDelivered();
        while (_pending.TryPeekTicks(out long ticks) && ticks <= now.Ticks)
        {
            var pending = _pending.Dequeue();
            if (Arrive(in pending))
            {
                _lastDelivered = pending.Buffer;
                datagram = ToDatagram(in pending);
                return true;
            }
        }
        datagram = default;
        return false;
    }

    /// <summary>
    /// Delivers every datagram due at or before <paramref name="now"/> to <paramref name="sink"/>, in delivery order,
    /// including any the sink sends during the calls that are due by then.
    /// </summary>
    /// <returns>The number of datagrams delivered.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="now"/> is before <see cref="Now"/>.</exception>
    public int DeliverDue(Instant now, IDatagramSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        AdvanceTime(now);
        ReleaseLastDelivered();
        int delivered = 0;
        while (_pending.TryPeekTicks(out long ticks) && ticks <= now.Ticks)
        {
            var pending = _pending.Dequeue();
            if (!Arrive(in pending)) continue;
            delivered++;
            var datagram = ToDatagram(in pending);
            try
            {
                sink.OnDatagram(in datagram);
            }
            finally
            {
                Return(pending.Buffer);
            }
        }
        return delivered;
    }

    /// <summary>
    /// The counters of the link from <paramref name="from"/> to <paramref name="to"/> (real addresses, not NAT mappings);
    /// all zero for a link never used.
    /// </summary>
    public LinkStatistics GetStatistics(IPEndPoint from, IPEndPoint to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return _links.TryGetValue((from, to), out var link) ? link.Snapshot() : default;
    }

    /// <summary>The counters of all links, summed.</summary>
    public LinkStatistics GetTotalStatistics()
    {
        LinkStatistics total = default;
        foreach (var link in _linksInCreationOrder) total += link.Snapshot();
        return total;
    }

    private void Transmit(
        SimulatedLink link, LinkConditions c, long t, ReadOnlySpan<byte> datagram, IPEndPoint source, long sequence,
        SimulatedLink? natLink, IPEndPoint? addressedTo, byte ecn)
    {
        long departure = t;
        bool ecnCapable = ecn is 1 or 2;
        long bandwidth = c.BandwidthBitsPerSecond;
        if (bandwidth > 0)
        {
            var queue = link.Queue;
            while (queue.Count > 0 && queue.Peek().DepartureTicks <= t) link.QueuedBytes -= queue.Dequeue().Size;
            if ((c.QueueCapacityPackets != 0 && queue.Count >= c.QueueCapacityPackets)
                || (c.QueueCapacityBytes != 0 && link.QueuedBytes + datagram.Length > c.QueueCapacityBytes))
            {
                link.DroppedQueueFull++; // drop-tail
                return;
            }
            if (ecnCapable && c.CeMarkQueueThresholdPackets > 0 && queue.Count >= c.CeMarkQueueThresholdPackets) ecn = 3; // AQM step marking
            long start = Math.Max(t, link.BusyUntilTicks);
            departure = SaturatingAdd(start, SerializationTicks(datagram.Length, bandwidth));
            link.BusyUntilTicks = departure;
            queue.Enqueue((departure, datagram.Length));
            link.QueuedBytes += datagram.Length;
        }

        if (ecnCapable && ecn != 3 && c.CeMarkRate > 0 && link.Random.Chance(c.CeMarkRate)) ecn = 3;
        byte[] buffer = _pool.Rent(datagram.Length);
        datagram.CopyTo(buffer);
        if (datagram.Length > 0 && link.Random.Chance(c.CorruptRate))
        {
            long bit = link.Random.NextInt64(datagram.Length * 8L);
            buffer[bit >> 3] ^= (byte)(1 << (int)(bit & 7));
            link.Corrupted++;
        }

        long arrival = SaturatingAdd(departure, c.Delay.Ticks);
        long jitter = c.Jitter.Ticks;
        if (jitter > 0)
        {
            arrival = SaturatingAdd(arrival, link.Random.NextInt64(2 * jitter + 1) - jitter);
            if (arrival < departure) arrival = departure;
        }
        // Jitter never reorders a FIFO link: never arrive before a datagram sent earlier.
        if (arrival < link.LastInOrderDeliveryTicks) arrival = link.LastInOrderDeliveryTicks;
        link.InFlight++;
        if (link.Random.Chance(c.ReorderRate))
        {
            // Held back from its place in the FIFO order, so later datagrams overtake it; it never overtakes earlier
            // ones, and the datagrams after it keep their places.
            arrival = SaturatingAdd(arrival, c.ReorderDelay.Ticks);
            link.Reordered++;
            _pending.EnqueueHeldBack(new PendingDelivery(
                buffer, datagram.Length, link, source, t, sequence, natLink, addressedTo, arrival, _nextDeliverySequence++, ecn));
        }
        else
        {
            link.LastInOrderDeliveryTicks = arrival;
            _pending.EnqueueInOrder(new PendingDelivery(
                buffer, datagram.Length, link, source, t, sequence, natLink, addressedTo, arrival, _nextDeliverySequence++, ecn));
        }
    }

    /// <summary>Accounts for a copy reaching its receiver; false when the receiver's NAT drops it.</summary>
    private bool Arrive(in PendingDelivery pending)
    {
        var link = pending.Link;
        link.InFlight--;
        var natLink = pending.NatLink;
        if (natLink is not null && !natLink.AddressOf(natLink.EpochAt(pending.Ticks)).Equals(pending.AddressedTo))
        {
            link.DroppedStaleAddress++;
            Return(pending.Buffer);
            return false;
        }
        link.Delivered++;
        link.DeliveredBytes += pending.Length;
        if (pending.LinkSequence < link.HighestDeliveredSequence) link.DeliveredOutOfOrder++;
        else link.HighestDeliveredSequence = pending.LinkSequence;
        return true;
    }

    private static SimulatedDatagram ToDatagram(in PendingDelivery pending) => new(
        pending.Source, pending.Link.To, new ReadOnlyMemory<byte>(pending.Buffer, 0, pending.Length),
        Instant.FromTicks(pending.SentTicks), Instant.FromTicks(pending.Ticks), pending.Ecn);

    private SimulatedLink GetOrCreateLink(IPEndPoint from, IPEndPoint to)
    {
        var last = _lastLink;
        if (last is not null && (ReferenceEquals(last.From, from) || last.From.Equals(from))
            && (ReferenceEquals(last.To, to) || last.To.Equals(to)))
            return last;
        if (!_links.TryGetValue((from, to), out var link))
        {
            // Each link's generator depends on the seed and the (ordered) pair of addresses only.
            ulong pair = SimulationRandom.StableHash(from) * 0x9E3779B97F4A7C15UL + SimulationRandom.StableHash(to);
            ulong state = (ulong)(uint)Seed ^ pair;
            link = new SimulatedLink(from, to, SimulationRandom.SplitMix64(ref state)) { UsesDefault = true };
            link.Apply(_defaultConditions);
            _links.Add((from, to), link);
            _linksInCreationOrder.Add(link);
        }
        _lastLink = link;
        return link;
    }

    private void CheckMappingFree(IPEndPoint observer, IPEndPoint address, SimulatedLink link)
    {
        if (_natMappings.TryGetValue((observer, address), out var existing) && existing != link)
            throw new ArgumentException(
                $"{address} is already the NAT mapping of {existing.From} as seen by {observer}; a rebinding address must name one sender only.",
                "conditions");
    }

    private void AdvanceTime(Instant now)
    {
        if (now.Ticks < _nowTicks)
            throw new ArgumentOutOfRangeException(nameof(now), now, $"Time went back: {now} is before {Now}, the latest instant given to this simulator.");
        _nowTicks = now.Ticks;
    }

    private void ReleaseLastDelivered()
    {
        if (_lastDelivered is { } buffer)
        {
            _lastDelivered = null;
            Return(buffer);
        }
    }

    private void Return(byte[] buffer) => _pool.Return(buffer);

    /// <summary>Time to put <paramref name="bytes"/> on a wire of <paramref name="bitsPerSecond"/>, rounded up to a tick.</summary>
    internal static long SerializationTicks(long bytes, long bitsPerSecond)
    {
        // bytes·8·10^7 / bandwidth, computed in 128 bits so no size or bandwidth overflows.
        UInt128 numerator = (UInt128)(ulong)bytes * 8 * (ulong)TimeSpan.TicksPerSecond;
        UInt128 ticks = (numerator + (ulong)bitsPerSecond - 1) / (ulong)bitsPerSecond;
        return ticks > long.MaxValue ? long.MaxValue : (long)ticks;
    }

    private static long SaturatingAdd(long a, long b)
    {
        long sum = a + b;
        if (b > 0 && sum < a) return long.MaxValue;
        return sum < 0 ? 0 : sum;
    }
}
