using Transport.Reliable.FlowControl;
using Transport.Reliable.Streams;

namespace Transport.Reliable.Tests.Streams;

public class SendBufferTests
{
    private static byte[] Bytes(int length)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(i * 7 + 3);
        return b;
    }

    private static byte[] Copy(SendBuffer sb, StreamSegment s)
    {
        var dst = new byte[s.Length];
        sb.CopyTo(s.Offset, dst);
        return dst;
    }

    [Fact]
    public void Segments_respect_max_length_and_credit_and_carry_the_bytes()
    {
        byte[] data = Bytes(1000);
        using var sb = new SendBuffer(64);
        sb.Write(data.AsSpan(0, 600));
        sb.Write(data.AsSpan(600));
        Assert.Equal(1000, sb.UnsentBytes);

        Assert.True(sb.TryGetSegment(300, 1000, out var s1));
        Assert.Equal(new StreamSegment(0, 300, false), s1);
        Assert.Equal(data.AsSpan(0, 300).ToArray(), Copy(sb, s1));

        Assert.True(sb.TryGetSegment(1000, 500, out var s2)); // credit stops it at 500
        Assert.Equal(new StreamSegment(300, 200, false), s2);
        Assert.False(sb.TryGetSegment(1000, 500, out _));
        Assert.Equal(500, sb.SentOffset);
        Assert.Equal(500, sb.InFlightBytes);
        Assert.Equal(500, sb.UnsentBytes);
        Assert.Equal(data.AsSpan(300, 200).ToArray(), Copy(sb, s2));
    }

    [Fact]
    public void Fin_goes_with_the_last_byte()
    {
        using var sb = new SendBuffer();
        sb.Write(Bytes(100));
        sb.Finish();
        Assert.True(sb.TryGetSegment(60, long.MaxValue, out var s1));
        Assert.False(s1.Fin);
        Assert.True(sb.TryGetSegment(60, long.MaxValue, out var s2));
        Assert.Equal(new StreamSegment(60, 40, true), s2);
        Assert.False(sb.TryGetSegment(60, long.MaxValue, out _));
        Assert.True(sb.IsFinSent);
    }

    [Fact]
    public void Fin_goes_alone_when_finished_after_all_data_was_sent_even_without_credit()
    {
        using var sb = new SendBuffer();
        sb.Write(Bytes(10));
        Assert.True(sb.TryGetSegment(100, 10, out _));
        sb.Finish();
        Assert.True(sb.TryGetSegment(0, 10, out var fin));
        Assert.Equal(new StreamSegment(10, 0, true), fin);
        sb.OnAcked(0, 10, false);
        Assert.False(sb.IsAllAcknowledged);
        sb.OnAcked(10, 0, true);
        Assert.True(sb.IsAllAcknowledged);
    }

    [Fact]
    public void Lost_data_is_resent_before_new_data_without_the_parts_acked_since()
    {
        byte[] data = Bytes(1000);
        using var sb = new SendBuffer(100);
        sb.Write(data);
        sb.TryGetSegment(500, long.MaxValue, out var s1); // [0, 500)
        sb.TryGetSegment(200, long.MaxValue, out var s2); // [500, 700)
        // s2 is acknowledged, then s1 declared lost.
        sb.OnAcked(500, 200, false);
        sb.OnLost(0, 500, false);
        Assert.Equal(500, sb.RetransmitBytes);
        Assert.Equal(0, sb.InFlightBytes);
        Assert.True(sb.TryGetSegment(150, long.MaxValue, out var r1));
        Assert.Equal(new StreamSegment(0, 150, false), r1);
        Assert.Equal(data.AsSpan(0, 150).ToArray(), Copy(sb, r1));
        sb.OnAcked(0, 150, false); // r1 acked
        sb.OnLost(0, 150, false);  // a late loss of an acked range queues nothing
        Assert.Equal(350, sb.RetransmitBytes);
        Assert.True(sb.TryGetSegment(1000, long.MaxValue, out var r2));
        Assert.Equal(new StreamSegment(150, 350, false), r2);
        Assert.True(sb.TryGetSegment(1000, long.MaxValue, out var n1));
        Assert.Equal(new StreamSegment(700, 300, false), n1);
    }

    [Fact]
    public void Ack_of_a_queued_retransmission_cancels_it()
    {
        using var sb = new SendBuffer();
        sb.Write(Bytes(300));
        sb.TryGetSegment(300, long.MaxValue, out _);
        sb.OnLost(0, 300, false);
        sb.OnAcked(100, 100, false); // spurious loss: a late ack
        Assert.Equal(200, sb.RetransmitBytes);
        Assert.True(sb.TryGetSegment(1000, long.MaxValue, out var r1));
        Assert.Equal(new StreamSegment(0, 100, false), r1);
        Assert.True(sb.TryGetSegment(1000, long.MaxValue, out var r2));
        Assert.Equal(new StreamSegment(200, 100, false), r2);
    }

    [Fact]
    public void Lost_fin_is_sent_again_with_lost_data_or_alone()
    {
        using var sb = new SendBuffer();
        sb.Write(Bytes(100));
        sb.Finish();
        sb.TryGetSegment(1000, long.MaxValue, out var s); // [0, 100) FIN
        Assert.True(s.Fin);
        sb.OnLost(0, 100, true);
        Assert.True(sb.TryGetSegment(60, long.MaxValue, out var r1));
        Assert.Equal(new StreamSegment(0, 60, false), r1);
        Assert.True(sb.TryGetSegment(60, long.MaxValue, out var r2));
        Assert.Equal(new StreamSegment(60, 40, true), r2);
        sb.OnAcked(0, 60, false);
        sb.OnAcked(60, 40, false); // only the data of r2 is acked elsewhere...
        sb.OnLost(60, 40, true);   // ...and the FIN lost: FIN goes alone
        Assert.True(sb.TryGetSegment(60, long.MaxValue, out var r3));
        Assert.Equal(new StreamSegment(100, 0, true), r3);
        sb.OnAcked(100, 0, true);
        Assert.True(sb.IsAllAcknowledged);
        Assert.False(sb.TryGetSegment(60, long.MaxValue, out _));
    }

    [Fact]
    public void Memory_is_released_when_the_acknowledged_prefix_advances()
    {
        using var sb = new SendBuffer(100);
        sb.Write(new byte[1000]);
        Assert.Equal(10, sb.RentedChunks);
        sb.TryGetSegment(1000, long.MaxValue, out _);
        sb.OnAcked(500, 500, false); // out of order: nothing freed
        Assert.Equal(10, sb.RentedChunks);
        Assert.Equal(1000, sb.BufferedBytes);
        sb.OnAcked(0, 250, false);
        Assert.Equal(8, sb.RentedChunks);
        Assert.Equal(250, sb.AcknowledgedOffset);
        sb.OnAcked(250, 250, false);
        Assert.Equal(0, sb.BufferedBytes);
        Assert.Equal(0, sb.RentedChunks);
        Assert.Throws<ArgumentOutOfRangeException>(() => sb.CopyTo(999, new byte[1]));
    }

    [Fact]
    public void Reset_drops_everything_and_reports_the_credit_used_as_final_size()
    {
        using var sb = new SendBuffer();
        sb.Write(new byte[1000]);
        sb.TryGetSegment(400, long.MaxValue, out _);
        Assert.Equal(400, sb.Reset());
        Assert.Equal(400, sb.Reset());
        Assert.True(sb.IsReset);
        Assert.False(sb.HasDataToSend);
        Assert.False(sb.TryGetSegment(1000, long.MaxValue, out _));
        sb.OnAcked(0, 400, false); // late acks and losses are ignored
        sb.OnLost(0, 400, false);
        Assert.Equal(0, sb.RentedChunks);
        Assert.Throws<InvalidOperationException>(() => sb.Write(new byte[1]));
    }

    [Fact]
    public void Misuse_throws_with_a_clear_message()
    {
        using var sb = new SendBuffer();
        sb.Write(new byte[10]);
        sb.Finish();
        var e = Assert.Throws<InvalidOperationException>(() => sb.Write(new byte[1]));
        Assert.Contains("FIN", e.Message);
        Assert.Throws<InvalidOperationException>(() => sb.Finish());
        Assert.Throws<ArgumentOutOfRangeException>(() => sb.TryGetSegment(-1, 10, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => sb.OnAcked(0, 5, false)); // never sent
        sb.TryGetSegment(5, 100, out _);
        Assert.Throws<ArgumentException>(() => sb.OnAcked(0, 5, true)); // FIN not at the final size
        Assert.Throws<ArgumentOutOfRangeException>(() => sb.CopyTo(5, new byte[6]));
    }

    [Fact]
    public void Credit_overload_charges_stream_and_connection_credit()
    {
        using var sb = new SendBuffer();
        sb.Write(new byte[1000]);
        var stream = new SendCredit(800);
        var connection = new SendCredit(300);
        Assert.True(sb.TryGetSegment(1000, stream, connection, out var s1));
        Assert.Equal(300, s1.Length);
        Assert.Equal(300, stream.Sent);
        Assert.Equal(300, connection.Sent);
        Assert.False(sb.TryGetSegment(1000, stream, connection, out _));
        Assert.True(connection.TryGetBlocked(out long limit));
        Assert.Equal(300, limit);
        connection.OnMaxDataReceived(10_000);
        Assert.True(sb.TryGetSegment(1000, stream, connection, out var s2));
        Assert.Equal(new StreamSegment(300, 500, false), s2);
        // A retransmission needs no credit.
        sb.OnLost(0, 300, false);
        Assert.True(sb.TryGetSegment(1000, stream, connection, out var r));
        Assert.Equal(new StreamSegment(0, 300, false), r);
        Assert.Equal(800, stream.Sent);
        Assert.Equal(800, connection.Sent);
    }
}
