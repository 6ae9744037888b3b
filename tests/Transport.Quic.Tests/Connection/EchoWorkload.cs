using Transport.Core.Time;
using Transport.Quic.Connection;

namespace Transport.Quic.Tests.Connection;

/// <summary>
/// The bench tour's head-of-line workload in virtual time over a <see cref="ConnectionPair"/>: <c>flows</c> client
/// bidirectional streams each write a <c>messageSize</c>-byte message every <c>period</c> (flows staggered, open loop),
/// the server echoes every byte it reads, and the latency of a message runs from its write to the arrival of the last
/// byte of its echo.
/// </summary>
internal sealed class EchoWorkload
{
    private readonly ConnectionPair _pair;
    private readonly int _messageSize;
    private readonly long[] _streams;
    private readonly Queue<Instant>[] _pending;
    private readonly long[] _received;
    private readonly Dictionary<long, int> _flowOf = new();
    private readonly byte[] _buffer = new byte[65536];

    public EchoWorkload(ConnectionPair pair, int flows, int messageSize)
    {
        _pair = pair;
        _messageSize = messageSize;
        _streams = new long[flows];
        _pending = new Queue<Instant>[flows];
        _received = new long[flows];
        for (int i = 0; i < flows; i++)
        {
            Assert.True(pair.Client.TryOpenStream(bidirectional: true, out _streams[i]));
            _flowOf[_streams[i]] = i;
            _pending[i] = new Queue<Instant>();
        }
        pair.OnEvent = OnEvent;
    }

    /// <summary>Latencies of messages written at or after <see cref="MeasureFrom"/>, in write order per flow.</summary>
    public List<TimeSpan> Latencies { get; } = new();

    /// <summary>Messages written before this instant are not measured (warm-up).</summary>
    public Instant MeasureFrom { get; set; }

    /// <summary>Messages written and not yet echoed in full.</summary>
    public int Outstanding
    {
        get
        {
            int n = 0;
            foreach (var q in _pending) n += q.Count;
            return n;
        }
    }

    public List<string> Errors { get; } = new();

    /// <summary>Called after every write (for tracing).</summary>
    public Action<Instant>? OnWrite { get; set; }

    /// <summary>
    /// Runs the open-loop schedule for <paramref name="duration"/>, then waits up to <paramref name="drain"/> for the last
    /// echoes. <paramref name="jitter"/> delays each write by a uniform random amount (seeded): a real sender's timers and
    /// threads do not write on the exact schedule.
    /// </summary>
    public void Run(TimeSpan period, TimeSpan duration, TimeSpan drain, TimeSpan jitter = default, int seed = 1)
    {
        int flows = _streams.Length;
        Instant start = _pair.Now;
        var random = new Random(seed);
        var writes = new List<(Instant At, int Flow)>();
        for (long round = 0; ; round++)
        {
            Instant roundStart = start + TimeSpan.FromTicks(period.Ticks * round);
            if (roundStart - start >= duration) break;
            for (int flow = 0; flow < flows; flow++)
            {
                // Writes happen at start + k·period + flow·period/flows (plus jitter).
                long offset = period.Ticks * flow / flows + (long)(random.NextDouble() * jitter.Ticks);
                writes.Add((roundStart + TimeSpan.FromTicks(offset), flow));
            }
        }
        writes.Sort((a, b) => a.At.CompareTo(b.At));
        var message = new byte[_messageSize];
        foreach ((Instant at, int flow) in writes)
        {
            if (at > _pair.Now) _pair.RunFor(at - _pair.Now);
            message.AsSpan().Fill((byte)('a' + flow));
            _pending[flow].Enqueue(_pair.Now);
            _pair.Client.WriteStream(_streams[flow], message);
            OnWrite?.Invoke(_pair.Now);
        }
        Instant deadline = _pair.Now + drain;
        _pair.RunUntil(() => Outstanding == 0 || _pair.Now >= deadline || _pair.Client.IsClosed);
    }

    private void OnEvent(ConnectionPair pair, bool isClient, ConnectionEvent e)
    {
        var connection = isClient ? pair.Client : pair.Server;
        switch (e.Kind)
        {
            case ConnectionEventKind.StreamReadable when !isClient:
                while (true)
                {
                    int n = connection.ReadStream(e.StreamId, _buffer, out _);
                    if (n == 0) break;
                    connection.WriteStream(e.StreamId, _buffer.AsSpan(0, n));
                }
                break;
            case ConnectionEventKind.StreamReadable:
                int flow = _flowOf[e.StreamId];
                while (true)
                {
                    int n = connection.ReadStream(e.StreamId, _buffer, out _);
                    if (n == 0) break;
                    for (int i = 0; i < n; i++)
                    {
                        if (_buffer[i] != (byte)('a' + flow)) Errors.Add($"flow {flow}: foreign byte");
                        if (++_received[flow] % _messageSize == 0)
                        {
                            Instant written = _pending[flow].Dequeue();
                            if (written >= MeasureFrom) Latencies.Add(pair.Now - written);
                        }
                    }
                }
                break;
            case ConnectionEventKind.StreamReset:
            case ConnectionEventKind.Closed:
                Errors.Add($"{(isClient ? "client" : "server")}: {e}");
                break;
        }
    }

    /// <summary>The <paramref name="q"/> quantile of the measured latencies (nearest rank).</summary>
    public TimeSpan Quantile(double q)
    {
        var sorted = Latencies.ToArray();
        Array.Sort(sorted);
        if (sorted.Length == 0) return TimeSpan.MaxValue;
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
