using System.Diagnostics;
using System.Runtime.InteropServices;
using Transport.Core.Simulation;

namespace Transport.Bench.Link;

/// <summary>
/// One direction of a <see cref="LinkForwarder"/>: a dedicated thread that reads IP packets from one TUN device,
/// applies the link model of <see cref="LinkConditions"/> in real time and writes them to the other device when due.
/// </summary>
/// <remarks>
/// The model is the one of <see cref="NetworkSimulator"/>, in the same order, for the stages that make sense on a real
/// path: Gilbert-Elliott burst loss, random loss, then the bottleneck (a FIFO in front of a serializer of size·8/bandwidth
/// seconds, drop-tail by packets and/or bytes, counting every packet not yet fully serialized), then propagation
/// (<c>Delay</c> ± uniform <c>Jitter</c>; jitter never reorders). Sizes are whole IP packets (the simulator counts UDP
/// payloads). Duplication, corruption, reordering, blackholes, rebinding and <c>Mtu</c> are not offered (the TUN MTU
/// bounds packet size); <see cref="Validate"/> rejects them.
///
/// Because arrival instants never decrease on a direction, the delivery queue is a FIFO ring of fixed slots that
/// packets are read straight into: no allocation and no copy per packet. The thread sleeps in ppoll (timer slack 1 ns)
/// until <see cref="SpinMargin"/> before the head is due, then spins, reading new packets meanwhile.
/// </remarks>
internal sealed unsafe class LinkDirection : IDisposable
{
    private const int SlotSize = 2048;
    private const int LatenessBuckets = 20_000; // 1 µs buckets up to 20 ms

    private readonly LinkConditions _conditions;
    private readonly int _inFd, _outFd;
    private readonly int _capacity;
    private readonly byte* _slots;
    private readonly long[] _arrival, _departure;
    private readonly int[] _size;
    private readonly long[] _lateness = new long[LatenessBuckets + 1];
    private SimulationRandom _random;
    private bool _inBadState;
    private long _head, _tail;            // ring: packets [head, tail) await delivery
    private long _bottleneckHead;         // packets [bottleneckHead, tail) are not yet fully serialized
    private long _bottleneckBytes;
    private long _busyUntil, _lastArrival;
    private readonly long _delayTicks, _jitterTicks, _spinTicks;
    private readonly double _ticksPerBit;
    private Thread? _thread;
    private volatile bool _stop;
    private readonly int _realtimePriority;

    public LinkDirection(string name, LinkConditions conditions, int inFd, int outFd, ulong seed, int capacity, TimeSpan spinMargin,
        int realtimePriority)
    {
        _realtimePriority = realtimePriority;
        Validate(conditions, nameof(conditions));
        if (capacity < 16) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The ring needs at least 16 slots.");
        Name = name;
        _conditions = conditions;
        _inFd = inFd;
        _outFd = outFd;
        _capacity = capacity;
        _slots = (byte*)NativeMemory.AlignedAlloc((nuint)capacity * SlotSize, 64);
        _arrival = new long[capacity];
        _departure = new long[capacity];
        _size = new int[capacity];
        _random = new SimulationRandom(seed);
        double f = Stopwatch.Frequency;
        _delayTicks = (long)(conditions.Delay.TotalSeconds * f);
        _jitterTicks = (long)(conditions.Jitter.TotalSeconds * f);
        _spinTicks = (long)(spinMargin.TotalSeconds * f);
        _ticksPerBit = conditions.BandwidthBitsPerSecond > 0 ? f / conditions.BandwidthBitsPerSecond : 0;
        SpinMargin = spinMargin;
    }

    public string Name { get; }
    public TimeSpan SpinMargin { get; }

    // Counters (read racily by other threads for reports; exact after Stop).
    public long Received, ReceivedBytes, Forwarded, ForwardedBytes, DroppedLoss, DroppedBurstLoss, DroppedQueueFull,
        DroppedRingFull, WriteErrors, MaxQueuedBytes, MaxQueuedPackets;
    public long LatenessCount, LatenessSumTicks, LatenessMaxTicks, LatenessMaxPacket;

    /// <summary>Whether the thread runs under SCHED_FIFO (null until it has started), and why not.</summary>
    public bool? Realtime { get; private set; }
    public string RealtimeError { get; private set; } = "";

    /// <summary>CPU time the forwarding thread used (set when it stops) and how long it ran.</summary>
    public TimeSpan CpuTime { get; private set; }
    public TimeSpan WallTime { get; private set; }

    /// <summary>Throws <see cref="ArgumentException"/> when the conditions ask for something this link cannot do.</summary>
    public static void Validate(LinkConditions c, string paramName)
    {
        ArgumentNullException.ThrowIfNull(c, paramName);
        if (c.Delay < TimeSpan.Zero) throw new ArgumentException($"Delay must not be negative (was {c.Delay}).", paramName);
        if (c.Jitter < TimeSpan.Zero) throw new ArgumentException($"Jitter must not be negative (was {c.Jitter}).", paramName);
        if (!(c.LossRate is >= 0 and <= 1)) throw new ArgumentException($"LossRate must be in [0, 1] (was {c.LossRate}).", paramName);
        if (c.BandwidthBitsPerSecond < 0 || c.QueueCapacityPackets < 0 || c.QueueCapacityBytes < 0)
            throw new ArgumentException("BandwidthBitsPerSecond, QueueCapacityPackets and QueueCapacityBytes must not be negative.", paramName);
        if (c.DuplicateRate != 0 || c.CorruptRate != 0 || c.ReorderRate != 0 || c.Mtu != 0 || c.Blackholes.Count != 0 || c.Rebinds.Count != 0)
            throw new ArgumentException("The namespace link models delay, jitter, loss, Gilbert-Elliott and the bottleneck only: " +
                "DuplicateRate, CorruptRate, ReorderRate, Mtu, Blackholes and Rebinds must be left at their defaults.", paramName);
        if (c.GilbertElliott is { } ge && !(ge.GoodToBad is >= 0 and <= 1 && ge.BadToGood is >= 0 and <= 1 && ge.LossInBad is >= 0 and <= 1 && ge.LossInGood is >= 0 and <= 1))
            throw new ArgumentException("GilbertElliott probabilities must be in [0, 1].", paramName);
    }

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "link " + Name };
        _thread.Start();
    }

    public void Stop()
    {
        _stop = true;
        _thread?.Join();
        _thread = null;
    }

    /// <summary>Lateness (write instant minus due instant) at quantile q, in microseconds (1 µs buckets).</summary>
    public double LatenessQuantileMicroseconds(double q)
    {
        long total = 0;
        foreach (long n in _lateness) total += n;
        if (total == 0) return double.NaN;
        long rank = (long)Math.Ceiling(q * total), seen = 0;
        for (int i = 0; i < _lateness.Length; i++)
        {
            seen += _lateness[i];
            if (seen >= rank) return i;
        }
        return LatenessBuckets;
    }

    /// <summary>A copy of the counters (exact once stopped).</summary>
    public LinkDirectionStats Snapshot() => new()
    {
        Received = Received, ReceivedBytes = ReceivedBytes, Forwarded = Forwarded, ForwardedBytes = ForwardedBytes,
        DroppedLoss = DroppedLoss, DroppedBurstLoss = DroppedBurstLoss, DroppedQueueFull = DroppedQueueFull,
        DroppedRingFull = DroppedRingFull, WriteErrors = WriteErrors, MaxQueuedBytes = MaxQueuedBytes, MaxQueuedPackets = MaxQueuedPackets,
        LatenessP50Microseconds = LatenessQuantileMicroseconds(0.5), LatenessP99Microseconds = LatenessQuantileMicroseconds(0.99),
        LatenessMaxMicroseconds = LatenessMaxMicroseconds, LatenessMaxPacket = LatenessMaxPacket, LatenessMeanMicroseconds = LatenessMeanMicroseconds,
        Realtime = Realtime == true, RealtimeError = RealtimeError, CpuSeconds = CpuTime.TotalSeconds, WallSeconds = WallTime.TotalSeconds,
    };

    public double LatenessMeanMicroseconds => LatenessCount == 0 ? double.NaN : LatenessSumTicks * 1e6 / Stopwatch.Frequency / LatenessCount;
    public double LatenessMaxMicroseconds => LatenessMaxTicks * 1e6 / Stopwatch.Frequency;

    private void Run()
    {
        long started = Stopwatch.GetTimestamp();
        LinkNative.Prctl(LinkNative.PR_SET_TIMERSLACK, 1, 0, 0, 0); // wake-ups as precise as the kernel can make them
        if (_realtimePriority > 0)
        {
            // SCHED_FIFO: on a busy machine a normal thread waits milliseconds for a core; a real-time one preempts.
            // The kernel's RT throttling (sched_rt_runtime_us) still leaves others 5 % of each core.
            int priority = _realtimePriority;
            Realtime = LinkNative.SchedSetScheduler(0, LinkNative.SCHED_FIFO, &priority) == 0;
            if (Realtime == false) RealtimeError = LinkNative.LastError();
        }
        else
        {
            Realtime = false;
        }
        LinkNative.Write(_outFd, _slots, 0); // binds the P/Invoke stub now, not on the first packet (EINVAL is fine)
        var pfd = new LinkNative.PollFd { Fd = _inFd, Events = LinkNative.POLLIN };
        LinkNative.Timespec timeout;
        while (!_stop)
        {
            long now = Stopwatch.GetTimestamp();
            Deliver(now);
            ReadAll();
            now = Stopwatch.GetTimestamp();
            long wait = _head < _tail ? _arrival[(int)(_head % _capacity)] - now : Stopwatch.Frequency / 20; // idle: recheck _stop at 20 Hz
            if (wait <= 0) continue;
            if (wait <= _spinTicks)
            {
                Thread.SpinWait(20); // about a microsecond, then read and deliver again
                continue;
            }
            long sleepNs = (long)((wait - _spinTicks) * (1e9 / Stopwatch.Frequency));
            timeout.Seconds = sleepNs / 1_000_000_000;
            timeout.Nanoseconds = sleepNs % 1_000_000_000;
            LinkNative.PPoll(&pfd, 1, &timeout, null);
        }
        CpuTime = LinkNative.ThreadCpuTime();
        WallTime = Stopwatch.GetElapsedTime(started);
    }

    private void ReadAll()
    {
        byte* scratch = stackalloc byte[SlotSize];
        while (true)
        {
            if (_tail - _head >= _capacity)
            {
                // The ring is full: read into a scratch slot and drop, so the TUN queue does not back up silently.
                nint m = LinkNative.Read(_inFd, scratch, SlotSize);
                if (m <= 0) return;
                Received++;
                ReceivedBytes += m;
                DroppedRingFull++;
                continue;
            }
            int index = (int)(_tail % _capacity);
            nint n = LinkNative.Read(_inFd, _slots + (long)index * SlotSize, SlotSize);
            if (n <= 0) return; // EAGAIN (non-blocking) or the device went away
            Received++;
            ReceivedBytes += n;
            Admit(index, (int)n, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Applies the link model to the packet just read into slot <paramref name="index"/> at <paramref name="now"/>.</summary>
    private void Admit(int index, int size, long now)
    {
        // Burst loss: the chain decides with its current state, then steps (as in NetworkSimulator).
        if (_conditions.GilbertElliott is { } ge)
        {
            bool lost = _random.Chance(_inBadState ? ge.LossInBad : ge.LossInGood);
            _inBadState = _inBadState ? !_random.Chance(ge.BadToGood) : _random.Chance(ge.GoodToBad);
            if (lost)
            {
                DroppedBurstLoss++;
                return;
            }
        }
        if (_random.Chance(_conditions.LossRate))
        {
            DroppedLoss++;
            return;
        }

        long departure = now;
        if (_ticksPerBit > 0)
        {
            // Packets whose serialization has finished leave the bottleneck queue.
            while (_bottleneckHead < _tail && _departure[(int)(_bottleneckHead % _capacity)] <= now)
            {
                _bottleneckBytes -= _size[(int)(_bottleneckHead % _capacity)];
                _bottleneckHead++;
            }
            long queuedPackets = _tail - _bottleneckHead;
            if ((_conditions.QueueCapacityPackets > 0 && queuedPackets >= _conditions.QueueCapacityPackets) ||
                (_conditions.QueueCapacityBytes > 0 && _bottleneckBytes + size > _conditions.QueueCapacityBytes))
            {
                DroppedQueueFull++;
                return;
            }
            departure = Math.Max(now, _busyUntil) + (long)(size * 8 * _ticksPerBit);
            _busyUntil = departure;
            _bottleneckBytes += size;
            if (_bottleneckBytes > MaxQueuedBytes) MaxQueuedBytes = _bottleneckBytes;
            if (queuedPackets + 1 > MaxQueuedPackets) MaxQueuedPackets = queuedPackets + 1;
        }

        long arrival = departure + _delayTicks;
        if (_jitterTicks > 0) arrival += _random.NextInt64(2 * _jitterTicks + 1) - _jitterTicks;
        arrival = Math.Max(Math.Max(arrival, departure), _lastArrival); // jitter never reorders, never arrives before it left
        _lastArrival = arrival;

        _departure[index] = departure;
        _arrival[index] = arrival;
        _size[index] = size;
        _tail++;
    }

    private void Deliver(long now)
    {
        while (_head < _tail)
        {
            int index = (int)(_head % _capacity);
            long due = _arrival[index];
            if (due > now) return; // the run loop sleeps or spins (reading meanwhile) until it is due
            nint written = LinkNative.Write(_outFd, _slots + (long)index * SlotSize, _size[index]);
            long late = Stopwatch.GetTimestamp() - due;
            if (written == _size[index])
            {
                Forwarded++;
                ForwardedBytes += written;
            }
            else
            {
                WriteErrors++;
            }
            LatenessCount++;
            LatenessSumTicks += late;
            if (late > LatenessMaxTicks)
            {
                LatenessMaxTicks = late;
                LatenessMaxPacket = LatenessCount;
            }
            long micro = (long)(late * 1e6 / Stopwatch.Frequency);
            _lateness[Math.Clamp(micro, 0, LatenessBuckets)]++;
            if (_bottleneckHead == _head)
            {
                _bottleneckBytes -= _size[index];
                _bottleneckHead++;
            }
            _head++;
        }
    }

    public void Dispose()
    {
        Stop();
        NativeMemory.AlignedFree(_slots);
    }
}
