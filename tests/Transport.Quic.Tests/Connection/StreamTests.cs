using Transport.Core.Simulation;
using Transport.Quic.Connection;

namespace Transport.Quic.Tests.Connection;

public class StreamTests
{
    [Fact]
    public void Stream_ids_follow_the_initiator_and_direction_bits()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.Client.TryOpenStream(true, out long c0));
        Assert.True(pair.Client.TryOpenStream(true, out long c1));
        Assert.True(pair.Client.TryOpenStream(false, out long cu));
        Assert.True(pair.Server.TryOpenStream(true, out long s0));
        Assert.True(pair.Server.TryOpenStream(false, out long su));
        Assert.Equal([0L, 4L, 2L, 1L, 3L], new[] { c0, c1, cu, s0, su });
    }

    [Fact]
    public void A_peer_stream_opens_lower_numbered_streams_implicitly()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        for (int i = 0; i < 3; i++) Assert.True(pair.Client.TryOpenStream(true, out _));
        pair.Client.WriteStream(8, "third"u8, fin: true); // only stream 8 carries data
        Assert.True(pair.RunUntil(() => pair.ServerEvents.Any(e => e.Kind == ConnectionEventKind.StreamReadable), 10_000));
        var opened = pair.ServerEvents.Where(e => e.Kind == ConnectionEventKind.StreamOpened).Select(e => e.StreamId).ToArray();
        Assert.Equal([0L, 4L, 8L], opened);
    }

    [Fact]
    public void Max_streams_is_raised_as_peer_streams_finish()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(o => o.MaxBidirectionalStreams = 2));
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 3000);
        int opened = 0;
        var previous = pair.OnEvent;
        pair.OnEvent = (p, isClient, e) =>
        {
            previous?.Invoke(p, isClient, e);
            if (isClient && e.Kind == ConnectionEventKind.StreamsAvailable) OpenMore();
        };
        void OpenMore()
        {
            while (opened < 10 && pair.Client.GetAvailableStreamCount(true) > 0)
            {
                app.OpenStreams(1);
                opened++;
            }
        }
        OpenMore();
        Assert.Equal(2, opened);
        Assert.False(pair.Client.TryOpenStream(true, out _)); // at the limit: STREAMS_BLOCKED goes out
        Assert.True(pair.RunUntil(() => opened == 10 && app.IsComplete || app.Errors.Count > 0, 200_000));
        Assert.Empty(app.Errors);
        Assert.Equal(10, app.Streams.Count);
    }

    [Fact]
    public void Stop_sending_is_answered_with_reset_stream_carrying_the_code()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        pair.Client.WriteStream(id, new byte[100_000]);
        Assert.True(pair.RunUntil(() => pair.ServerEvents.Any(e => e.Kind == ConnectionEventKind.StreamOpened), 10_000));
        pair.Server.StopSending(id, 77);
        Assert.True(pair.RunUntil(() => pair.ClientEvents.Any(e => e.Kind == ConnectionEventKind.StreamStopSending)
            && pair.ServerEvents.Any(e => e.Kind == ConnectionEventKind.StreamReset), 20_000));
        Assert.Equal(77UL, pair.ClientEvents.Single(e => e.Kind == ConnectionEventKind.StreamStopSending).ErrorCode);
        Assert.Equal(77UL, pair.ServerEvents.Single(e => e.Kind == ConnectionEventKind.StreamReset).ErrorCode);
        Assert.Throws<InvalidOperationException>(() => pair.Client.WriteStream(id, [1]));
    }

    [Fact]
    public void Reset_stream_reaches_the_reader_and_frees_connection_credit()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(),
            ConnectionPair.ServerOptions(o => { o.InitialMaxData = 64 << 10; o.MaxReceiveWindow = 64 << 10; }));
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.Client.TryOpenStream(false, out long id));
        pair.Client.WriteStream(id, new byte[50_000]);
        pair.RunFor(TimeSpan.FromMilliseconds(100), 10_000);
        pair.Client.ResetStream(id, 5);
        Assert.True(pair.RunUntil(() => pair.ServerEvents.Any(e => e.Kind == ConnectionEventKind.StreamReset), 10_000));
        Assert.Equal(5UL, pair.ServerEvents.Single(e => e.Kind == ConnectionEventKind.StreamReset).ErrorCode);
        // The reset stream's bytes no longer hold the 64 KiB connection window: another 60 KB gets through.
        var app = new TransferApp(pair, 60_000);
        app.OpenStreams(1);
        bool done = pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0, 50_000);
        Assert.Empty(app.Errors);
        Assert.True(done, string.Join("\n", pair.ServerEvents) + "\n" + pair.Server.GetStatistics() + "\n" + pair.Client.GetStatistics());
    }

    [Fact]
    public void Small_flow_control_windows_still_move_a_megabyte()
    {
        using var pair = new ConnectionPair(
            ConnectionPair.ClientOptions(o => { o.InitialMaxData = 16 << 10; o.MaxReceiveWindow = 16 << 10; o.InitialMaxStreamData = 8 << 10; o.MaxStreamReceiveWindow = 8 << 10; }),
            ConnectionPair.ServerOptions(o => { o.InitialMaxData = 16 << 10; o.MaxReceiveWindow = 16 << 10; o.InitialMaxStreamData = 8 << 10; o.MaxStreamReceiveWindow = 8 << 10; }),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(5), LossRate = 0.01 }, seed: 21);
        Assert.True(pair.CompleteHandshake());
        var app = new TransferApp(pair, 512 << 10);
        app.OpenStreams(2);
        Assert.True(pair.RunUntil(() => app.IsComplete || app.Errors.Count > 0));
        Assert.Empty(app.Errors);
    }

    [Fact]
    public void Stream_operations_reject_bad_arguments()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.Throws<InvalidOperationException>(() => pair.Client.TryOpenStream(true, out _)); // before the handshake
        Assert.True(pair.CompleteHandshake());
        Assert.Throws<ArgumentException>(() => pair.Client.WriteStream(400, [1]));
        Assert.True(pair.Client.TryOpenStream(false, out long uni));
        Assert.Throws<ArgumentException>(() => pair.Client.ReadStream(uni, new byte[10], out _));
        pair.Client.FinishStream(uni);
        Assert.Throws<InvalidOperationException>(() => pair.Client.WriteStream(uni, [1]));
    }

    [Fact]
    public void Peek_and_consume_read_without_copying()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.Client.TryOpenStream(false, out long id));
        var data = new byte[20_000];
        new Random(3).NextBytes(data);
        pair.Client.WriteStream(id, data, fin: true);
        var received = new List<byte>();
        bool finished = false;
        pair.OnEvent = (p, isClient, e) =>
        {
            if (isClient || e.Kind != ConnectionEventKind.StreamReadable) return;
            while (true)
            {
                var span = p.Server.PeekStream(e.StreamId, out finished);
                if (span.IsEmpty) break;
                int take = Math.Min(span.Length, 777);
                received.AddRange(span.Slice(0, take).ToArray());
                p.Server.ConsumeStream(e.StreamId, take);
            }
        };
        Assert.True(pair.RunUntil(() => received.Count == data.Length, 10_000));
        Assert.Equal(data, received.ToArray());
    }
}

public class StreamPriorityTests
{
    private static long[] Race(int urgencyA, int urgencyB, int size = 200_000)
    {
        // A 10 Mbit/s bottleneck keeps both streams' data queued at the sender, so the scheduler decides the order.
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions(),
            new LinkConditions { Delay = TimeSpan.FromMilliseconds(5), BandwidthBitsPerSecond = 10_000_000, QueueCapacityPackets = 1000 });
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.Client.TryOpenStream(false, out long a));
        Assert.True(pair.Client.TryOpenStream(false, out long b));
        pair.Client.SetStreamUrgency(a, urgencyA);
        pair.Client.SetStreamUrgency(b, urgencyB);
        var data = new byte[size];
        pair.Client.WriteStream(b, data, fin: true); // b is queued first
        pair.Client.WriteStream(a, data, fin: true);
        var read = new long[2];
        var buffer = new byte[65536];
        bool aDone = false;
        long bAtADone = -1;
        Assert.True(pair.RunUntil(() =>
        {
            for (int i = 0; i < 2; i++)
            {
                long id = i == 0 ? a : b;
                try
                {
                    while (true)
                    {
                        int n = pair.Server.ReadStream(id, buffer, out bool fin);
                        read[i] += n;
                        if (fin && i == 0 && read[0] == size && !aDone) { aDone = true; bAtADone = read[1]; }
                        if (n == 0) break;
                    }
                }
                catch (ArgumentException) { } // not open on the server yet
            }
            return aDone;
        }, 200_000));
        return [read[0], bAtADone];
    }

    [Fact]
    public void A_more_urgent_stream_is_sent_before_a_less_urgent_one_queued_earlier()
    {
        long[] r = Race(urgencyA: 0, urgencyB: 7);
        // When the urgent stream finished, the other had received at most a few packets (filling packets' leftovers).
        Assert.InRange(r[1], 0, 20_000);
    }

    [Fact]
    public void Streams_of_equal_urgency_share_the_path_round_robin()
    {
        long[] r = Race(urgencyA: 3, urgencyB: 3);
        // Round-robin: when one finishes, the other has had about as much.
        Assert.InRange(r[1], 150_000, 200_000);
    }

    [Fact]
    public void Urgency_outside_zero_to_seven_is_refused()
    {
        using var pair = new ConnectionPair(ConnectionPair.ClientOptions(), ConnectionPair.ServerOptions());
        Assert.True(pair.CompleteHandshake());
        Assert.True(pair.Client.TryOpenStream(true, out long id));
        Assert.Throws<ArgumentOutOfRangeException>(() => pair.Client.SetStreamUrgency(id, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => pair.Client.SetStreamUrgency(id, -1));
    }
}
