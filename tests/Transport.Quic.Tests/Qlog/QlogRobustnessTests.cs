using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Frames;
using Transport.Quic.Packets;
using Transport.Quic.Qlog;
using Transport.Reliable.Congestion;
using static Transport.Quic.Tests.Qlog.QlogTestSupport;
using Transport.Tests.Shared;

namespace Transport.Quic.Tests.Qlog;

public class QlogRobustnessTests
{
    /// <summary>A stream that fails on demand, the way a full or vanished disk does.</summary>
    private sealed class FailingStream(bool failWrite, bool failFlush) : Stream
    {
        public int Writes;
        public bool Disposed;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { if (failFlush) throw new IOException("flush failed"); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes++;
            if (failWrite) throw new IOException("No space left on device");
        }
        protected override void Dispose(bool disposing) { Disposed = true; base.Dispose(disposing); }
    }

    private static void WriteEveryEvent(QlogWriter w, int i)
    {
        var t = Instant.FromMilliseconds(1000 + i);
        w.Frames.AddStream(0, (ulong)i, 10, false);
        w.Frames.AddAck(TimeSpan.Zero, [new AckRange(0, (ulong)i)]);
        w.PacketSent(t, PacketType.OneRtt, (ulong)i, 1200, w.Frames);
        w.Frames.AddPing();
        w.PacketReceived(t, PacketType.OneRtt, (ulong)i, 1200, w.Frames);
        w.PacketDropped(t, PacketType.Initial, 1200, QlogPacketDropReason.Duplicate);
        w.PacketBuffered(t, PacketType.Handshake, 1200);
        w.PacketLost(t, PacketType.OneRtt, (ulong)i, QlogPacketLostTrigger.TimeThreshold, w.Frames);
        w.MetricsUpdated(t, smoothedRtt: TimeSpan.FromTicks(i), congestionWindow: i, bytesInFlight: i, pacingRateBytesPerSecond: i * 1.5);
        w.CongestionStateUpdated(t, CongestionState.SlowStart, CongestionState.Recovery);
        w.KeyUpdated(t, QlogKeyType.Client1RttSecret, QlogKeyUpdateTrigger.LocalUpdate, (uint)i);
        w.KeyRetired(t, QlogKeyType.Client1RttSecret, QlogKeyUpdateTrigger.LocalUpdate, (uint)i);
        w.ConnectionStateUpdated(t, null, QlogConnectionState.Closing);
        w.VersionInformation(t, 1);
    }

    [Fact]
    public void Null_writer_is_disabled_and_its_frame_list_ignores_calls()
    {
        var w = QlogWriter.Null;
        Assert.False(w.IsEnabled);
        Assert.False(w.Frames.IsEnabled);
        WriteEveryEvent(w, 1);
        w.Frames.AddPing();
        w.Frames.AddAckRange(1, 2); // ignored, not refused, when disabled
        Assert.Equal(0, w.Frames.Count);
        w.ConnectionClosed(Instant.Zero, null, null, null, "x");
        w.Flush();
        w.Dispose();
        Assert.Equal(0, w.BytesWritten);
        Assert.Null(w.Failure);
    }

    [Fact]
    public void Null_writer_allocates_nothing()
    {
        var w = QlogWriter.Null;
        int i = 0;
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(() => WriteEveryEvent(w, i++), warmupRounds: 1000, measuredRounds: 1000);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Enabled_writer_allocates_nothing_per_event_in_steady_state()
    {
        using var w = new QlogWriter(Stream.Null, QlogVantagePoint.Client, Odcid, Instant.Zero, Wall);
        int i = 0;
        // Warm-up: JIT, buffers at full size.
        long allocated = AllocationMeter.MinimumAllocatedPerAttempt(() => WriteEveryEvent(w, i++), warmupRounds: 2000, measuredRounds: 2000);
        Assert.True(w.IsEnabled, w.Failure?.ToString());
        Assert.Equal(0, allocated);
        Assert.True(w.BytesWritten > 0);
    }

    [Fact]
    public void Disposed_writer_writes_nothing_more()
    {
        var (w, stream) = NewWriter();
        WriteEveryEvent(w, 1);
        w.Dispose();
        long length = stream.Length;
        WriteEveryEvent(w, 2);
        w.Flush();
        w.Dispose();
        Assert.Equal(length, stream.Length);
        Assert.False(w.IsEnabled);
        Assert.Null(w.Failure);
    }

    [Fact]
    public void Failing_stream_write_disables_the_writer_without_throwing()
    {
        var stream = new FailingStream(failWrite: true, failFlush: false);
        var w = new QlogWriter(stream, QlogVantagePoint.Server, Odcid, Instant.Zero, Wall);
        for (int i = 0; i < 1000 && w.IsEnabled; i++) WriteEveryEvent(w, i); // crosses the flush threshold
        Assert.False(w.IsEnabled);
        Assert.IsType<IOException>(w.Failure);
        Assert.False(w.Frames.IsEnabled);
        int writes = stream.Writes;
        WriteEveryEvent(w, 5);
        w.Flush();
        w.ConnectionClosed(Instant.Zero, QlogOwner.Local, 0, null, null);
        w.Dispose();
        Assert.Equal(writes, stream.Writes); // nothing more reached the stream
        Assert.True(stream.Disposed);
        Assert.Equal(0, w.BytesWritten);
    }

    [Fact]
    public void Failing_stream_flush_disables_the_writer_without_throwing()
    {
        var stream = new FailingStream(failWrite: false, failFlush: true);
        var w = new QlogWriter(stream, QlogVantagePoint.Client, Odcid, Instant.Zero, Wall);
        WriteEveryEvent(w, 1);
        w.Flush();
        Assert.False(w.IsEnabled);
        Assert.IsType<IOException>(w.Failure);
        w.Dispose();
    }

    [Fact]
    public void Dispose_survives_a_stream_that_throws_on_close()
    {
        var stream = new ThrowOnDisposeStream();
        var w = new QlogWriter(stream, QlogVantagePoint.Client, Odcid, Instant.Zero, Wall);
        w.Dispose();
        Assert.IsType<IOException>(w.Failure);
    }

    private sealed class ThrowOnDisposeStream : MemoryStream
    {
        protected override void Dispose(bool disposing) => throw new IOException("close failed");
    }

    [Fact]
    public void Unwritable_stream_is_refused_at_construction()
    {
        var readOnly = new MemoryStream(new byte[10], writable: false);
        Assert.Throws<ArgumentException>(() => new QlogWriter(readOnly, QlogVantagePoint.Client, Odcid, Instant.Zero));
        Assert.Throws<ArgumentNullException>(() => new QlogWriter(null!, QlogVantagePoint.Client, Odcid, Instant.Zero));
    }

    /// <summary>An endpoint whose address family cannot be read: makes serialization fail half-way through a record.</summary>
    private sealed class BrokenEndPoint() : System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1)
    {
        public override System.Net.Sockets.AddressFamily AddressFamily => throw new InvalidOperationException("broken");
    }

    [Fact]
    public void A_record_that_fails_half_way_is_cut_off_and_earlier_records_survive()
    {
        var (w, stream) = NewWriter();
        w.PacketDropped(At(1), PacketType.Initial, 10, QlogPacketDropReason.Duplicate);
        w.ConnectionStarted(At(2), new BrokenEndPoint(), null, Odcid, Odcid); // throws inside the record
        Assert.False(w.IsEnabled);
        Assert.IsType<InvalidOperationException>(w.Failure);
        w.PacketDropped(At(3), PacketType.Initial, 10, QlogPacketDropReason.Duplicate);
        w.Dispose();
        var records = Records(stream); // still valid JSON-SEQ: the broken record never reached the stream
        Assert.Equal(2, records.Count);
        Assert.Contains("transport:packet_dropped", records[1]);
    }

    [Fact]
    public void Lone_surrogates_in_text_do_not_break_the_record()
    {
        var (w, stream) = NewWriter();
        w.ConnectionClosed(At(2), QlogOwner.Local, 0, null, "bad \ud800 text");
        w.Dispose();
        Assert.Null(w.Failure);
        Assert.Equal(2, Records(stream).Count);
    }

    [Fact]
    public void Times_are_relative_milliseconds_and_never_decrease()
    {
        // Any sequence of instants, in any order: the logged times are (t - reference) in ms, held at the previous
        // event's time when t is earlier.
        var gen = Gen.ListOf(Gen.Choose(0, 5_000_000)).Select(l => l.ToArray());
        Prop.ForAll(gen.ToArbitrary(), offsetsUs =>
        {
            var (w, stream) = NewWriter();
            foreach (int us in offsetsUs)
                w.PacketDropped(Reference + TimeSpan.FromMicroseconds(us - 1000), PacketType.OneRtt, 1, QlogPacketDropReason.None);
            w.Dispose();
            var events = Events(stream);
            if (events.Count != offsetsUs.Length) return false;
            double last = 0;
            for (int i = 0; i < events.Count; i++)
            {
                double time = events[i].GetProperty("time").GetDouble();
                double expected = Math.Max(last, Math.Max(0, (offsetsUs[i] - 1000) / 1000.0));
                if (time < last || Math.Abs(time - expected) > 1e-9) return false;
                last = time;
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Connection_closed_reaches_the_stream_without_dispose()
    {
        var stream = new MemoryStream();
        var w = new QlogWriter(stream, QlogVantagePoint.Client, Odcid, Instant.Zero, Wall);
        w.PacketDropped(Instant.Zero, PacketType.OneRtt, 1, QlogPacketDropReason.None);
        Assert.Equal(0, stream.Length); // buffered
        w.ConnectionClosed(Instant.Zero, QlogOwner.Local, 0, null, null);
        Assert.Equal(3, Records(stream).Count);
    }

    [Fact]
    public void Header_group_id_is_the_original_destination_connection_id()
    {
        var odcid = ConnectionId.NewRandom(20);
        var stream = new MemoryStream();
        using (new QlogWriter(stream, QlogVantagePoint.Client, odcid, Instant.Zero, leaveOpen: true)) { }
        var common = JsonDocument.Parse(Records(stream)[0]).RootElement.GetProperty("trace").GetProperty("common_fields");
        Assert.Equal(Convert.ToHexStringLower(odcid.Span), common.GetProperty("group_id").GetString());
        // Without a wall clock, reference_time is now (Unix ms).
        double referenceTime = common.GetProperty("reference_time").GetDouble();
        Assert.InRange(referenceTime, DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds());
    }
}
