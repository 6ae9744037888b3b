using System.Buffers;
using System.Diagnostics;

namespace Transport.Interop.Relay;

/// <summary>A datagram in flight on a <see cref="RelayLink"/>.</summary>
internal struct RelayItem
{
    public byte[] Buffer;
    public int Length;
    public byte TrafficClass;
    public long DueTicks;
    public NatMapping Mapping;
    /// <summary>Server-to-client only: the upstream binding the datagram arrived on.</summary>
    public UpstreamBinding? Binding;
    /// <summary>Between the client and the server's preferred address (the relay's second port), not its main one.</summary>
    public bool Preferred;
    /// <summary>A segment of the modelled TCP cross flow (<see cref="CubicCrossFlow"/>): no buffer, never forwarded.</summary>
    public bool CrossTraffic;
    /// <summary>Cross flow only: when the segment was sent.</summary>
    public long SentTicks;
}

/// <summary>What the far end of a link does with an arriving datagram.</summary>
internal enum RelayVerdict
{
    Forward,
    Corrupted,
    Blackhole,
    DropList,
    RandomDrop,
}

/// <summary>
/// One direction of the relay: the ns-3 point-to-point model (drop-tail queue, serializer, propagation delay) decided
/// when a datagram arrives, and the simulator's receive-side error models decided when it reaches the far end.
/// The queue of datagrams in flight is FIFO and their due times never decrease (fixed delay after a FIFO serializer),
/// so the forwarding thread only ever waits for the head.
/// </summary>
internal sealed class RelayLink
{
    // Stopwatch ticks.
    private readonly long _delay;
    private readonly double _ticksPerBit;
    private readonly int _capacity; // datagrams waiting for the serializer; 0 = unlimited
    private readonly int _ipUdpOverhead;
    private readonly Queue<(long Start, long End)> _serializer = new();
    private long _serializerFreeAt;

    private readonly Queue<RelayItem> _inFlight = new();
    private readonly object _lock = new();

    private readonly RelayScenario _scenario;
    private readonly RelayDirectionConditions _conditions;
    private readonly Random _dropRandom;
    private readonly Random _corruptRandom;
    private readonly long _startTicks;
    private int _droppedInARow;
    private int _corruptedInARow;
    private int _arrivals;

    public RelayLink(RelayScenario scenario, RelayDirectionConditions conditions, int seed, long startTicks, bool ipv6, RelayDirectionStatistics statistics)
    {
        _scenario = scenario;
        _conditions = conditions;
        _startTicks = startTicks;
        Statistics = statistics;
        _delay = ToStopwatchTicks(scenario.Delay);
        _ticksPerBit = scenario.BandwidthBitsPerSecond > 0 ? (double)Stopwatch.Frequency / scenario.BandwidthBitsPerSecond : 0;
        _capacity = scenario.QueuePackets > 0 ? scenario.QueuePackets + scenario.DeviceQueuePackets : 0;
        // UDP + IP headers + the 2-byte PPP header ns-3's point-to-point device adds.
        _ipUdpOverhead = 8 + (ipv6 ? 40 : 20) + 2;
        _dropRandom = new Random(seed);
        _corruptRandom = new Random(unchecked(seed * 31 + 17));
    }

    public RelayDirectionStatistics Statistics { get; }

    /// <summary>Whether a UDP payload of <paramref name="length"/> bytes fits the scenario's IP MTU (counts it when not).</summary>
    public bool FitsMtu(int length)
    {
        if (_scenario.Mtu == 0 || length + _ipUdpOverhead - 2 <= _scenario.Mtu) return true;
        Interlocked.Increment(ref Statistics._mtuDrops);
        return false;
    }

    public static long ToStopwatchTicks(TimeSpan t) => (long)(t.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));

    public TimeSpan SinceStart(long ticks) => TimeSpan.FromTicks((long)((ticks - _startTicks) * ((double)TimeSpan.TicksPerSecond / Stopwatch.Frequency)));

    /// <summary>
    /// A datagram arrived at <paramref name="now"/>: joins the bottleneck (or is dropped there, drop-tail) and is put in
    /// flight; <paramref name="item"/>'s buffer is then owned by the link. Returns false when dropped (buffer returned).
    /// </summary>
    public bool Admit(long now, ref RelayItem item)
    {
        lock (_lock)
        {
            long due;
            if (_ticksPerBit == 0)
            {
                due = now + _delay;
            }
            else
            {
                while (_serializer.Count > 0 && _serializer.Peek().End <= now) _serializer.Dequeue();
                int waiting = _serializer.Count - (_serializer.Count > 0 && _serializer.Peek().Start <= now ? 1 : 0);
                if (_capacity > 0 && waiting >= _capacity)
                {
                    if (item.CrossTraffic) return false; // the cross flow counts its own losses
                    Interlocked.Increment(ref Statistics._queueDrops);
                    ArrayPool<byte>.Shared.Return(item.Buffer);
                    return false;
                }
                long start = Math.Max(now, _serializerFreeAt);
                long end = start + (long)Math.Ceiling((item.Length + _ipUdpOverhead) * 8 * _ticksPerBit);
                _serializerFreeAt = end;
                _serializer.Enqueue((start, end));
                due = end + _delay;
            }
            item.DueTicks = due;
            bool wasEmpty = _inFlight.Count == 0;
            _inFlight.Enqueue(item);
            if (wasEmpty) Monitor.Pulse(_lock);
            return true;
        }
    }

    /// <summary>The head datagram, waiting up to <paramref name="timeoutMs"/> for one.</summary>
    public bool TryPeek(int timeoutMs, out RelayItem item)
    {
        lock (_lock)
        {
            if (_inFlight.Count == 0) Monitor.Wait(_lock, timeoutMs);
            return _inFlight.TryPeek(out item);
        }
    }

    /// <summary>Removes the head (the one <see cref="TryPeek"/> returned; only the forwarding thread removes).</summary>
    public void Dequeue()
    {
        lock (_lock) _inFlight.Dequeue();
    }

    /// <summary>Wakes a forwarding thread waiting in <see cref="TryPeek"/>.</summary>
    public void Wake()
    {
        lock (_lock) Monitor.PulseAll(_lock);
    }

    /// <summary>Returns every buffer still in flight to the pool (after the forwarding thread ended).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            while (_inFlight.TryDequeue(out var item))
                if (!item.CrossTraffic) ArrayPool<byte>.Shared.Return(item.Buffer);
        }
    }

    /// <summary>Whether a blackhole window covers this direction at <paramref name="dueTicks"/>.</summary>
    public bool IsBlackholed(long dueTicks) => _conditions.Blackholed && _scenario.IsBlackholeAt(SinceStart(dueTicks));

    /// <summary>
    /// The receive-side error models of quic-network-simulator, in its exact semantics (drop-rate-error-model.cc,
    /// corrupt-rate-error-model.cc, droplist-error-model.cc, blackhole), applied when <paramref name="item"/> reaches
    /// the far end. Corruption happens in place.
    /// </summary>
    public RelayVerdict Decide(ref RelayItem item)
    {
        if (IsBlackholed(item.DueTicks)) return RelayVerdict.Blackhole;

        // droplist: 1-based index of every UDP datagram arriving at the far end.
        int index = ++_arrivals;
        if (_conditions.DropList.Count > 0 && _conditions.DropList.Contains(index)) return RelayVerdict.DropList;

        // drop-rate: at most DropBurst drops in a row; the draw happens only when the burst limit allows a drop.
        if (_conditions.DropRatePercent > 0)
        {
            if (_droppedInARow >= _conditions.DropBurst) _droppedInARow = 0;
            else if (_dropRandom.Next(100) < _conditions.DropRatePercent)
            {
                _droppedInARow++;
                return RelayVerdict.RandomDrop;
            }
            else _droppedInARow = 0;
        }

        // corrupt-rate: Version Negotiation (bytes 1..4 zero, more than 5 bytes) is never corrupted and resets the count.
        if (_conditions.CorruptRatePercent > 0 && item.Length > 0)
        {
            Span<byte> payload = item.Buffer.AsSpan(0, item.Length);
            bool shouldCorrupt;
            if (IsVersionNegotiation(payload))
            {
                _corruptedInARow = 0;
                shouldCorrupt = false;
            }
            else if (_corruptedInARow >= _conditions.CorruptBurst)
            {
                _corruptedInARow = 0;
                shouldCorrupt = false;
            }
            else if (_corruptRandom.Next(100) < _conditions.CorruptRatePercent)
            {
                _corruptedInARow++;
                shouldCorrupt = true;
            }
            else
            {
                _corruptedInARow = 0;
                shouldCorrupt = false;
            }
            if (shouldCorrupt)
            {
                int position = _corruptRandom.Next(0, Math.Min(50, payload.Length - 1) + 1);
                byte value;
                do value = (byte)_corruptRandom.Next(256); while (value == payload[position]);
                payload[position] = value;
                return RelayVerdict.Corrupted;
            }
        }
        return RelayVerdict.Forward;
    }

    /// <summary>The simulator's test (quic-packet.cc): more than 5 bytes and a zero version field (bytes 1..4).</summary>
    public static bool IsVersionNegotiation(ReadOnlySpan<byte> payload) =>
        payload.Length > 5 && payload[1] == 0 && payload[2] == 0 && payload[3] == 0 && payload[4] == 0;
}
