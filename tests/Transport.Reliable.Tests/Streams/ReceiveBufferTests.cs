using Transport.Reliable.Streams;

namespace Transport.Reliable.Tests.Streams;

public class ReceiveBufferTests
{
    private static byte[] Bytes(int length, int seed = 1)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static byte[] ReadAll(ReceiveBuffer rb)
    {
        var output = new List<byte>();
        var buffer = new byte[37];
        int n;
        while ((n = rb.Read(buffer)) > 0) output.AddRange(buffer.AsSpan(0, n).ToArray());
        return output.ToArray();
    }

    [Fact]
    public void In_order_segments_read_back_with_fin()
    {
        byte[] data = Bytes(1000);
        using var rb = new ReceiveBuffer(64);
        Assert.Equal(ReceiveResult.Ok, rb.Receive(0, data.AsSpan(0, 400), false, 1000, out long inc1));
        Assert.Equal(400, inc1);
        Assert.Equal(ReceiveResult.Ok, rb.Receive(400, data.AsSpan(400), true, 1000, out long inc2));
        Assert.Equal(600, inc2);
        Assert.True(rb.IsAllDataReceived);
        Assert.False(rb.IsFinished);
        Assert.Equal(data, ReadAll(rb));
        Assert.True(rb.IsFinished);
        Assert.Equal(0, rb.RentedChunks);
    }

    [Fact]
    public void Out_of_order_data_waits_for_the_gap()
    {
        byte[] data = Bytes(300);
        var rb = new ReceiveBuffer(50);
        rb.Receive(100, data.AsSpan(100, 100), false, 1000);
        Assert.Equal(0, rb.ReadableBytes);
        Assert.Equal(100, rb.BufferedBytes);
        Assert.Equal(0, rb.Read(new byte[10]));
        rb.Receive(0, data.AsSpan(0, 100), false, 1000);
        Assert.Equal(200, rb.ReadableBytes);
        Assert.Equal(data.AsSpan(0, 200).ToArray(), ReadAll(rb));
        Assert.Equal(200, rb.ReadOffset);
    }

    [Fact]
    public void Overlaps_keep_the_first_copy_and_data_already_read_is_ignored()
    {
        var rb = new ReceiveBuffer(8);
        rb.Receive(0, new byte[] { 1, 2, 3, 4 }, false, 100);
        rb.Receive(2, new byte[] { 9, 9, 5, 6 }, false, 100); // overlap: 3, 4 stay
        var dst = new byte[3];
        Assert.Equal(3, rb.Read(dst));
        Assert.Equal(new byte[] { 1, 2, 3 }, dst);
        Assert.Equal(ReceiveResult.Ok, rb.Receive(0, new byte[] { 7, 7 }, false, 100, out long inc));
        Assert.Equal(0, inc);
        Assert.Equal(new byte[] { 4, 5, 6 }, ReadAll(rb));
    }

    [Fact]
    public void Peek_is_zero_copy_and_consume_advances()
    {
        byte[] data = Bytes(100);
        var rb = new ReceiveBuffer(64);
        rb.Receive(0, data, false, 100);
        ReadOnlySpan<byte> first = rb.PeekContiguous();
        Assert.Equal(64, first.Length); // up to the chunk end
        Assert.True(first.SequenceEqual(data.AsSpan(0, 64)));
        rb.Consume(64);
        Assert.True(rb.PeekContiguous().SequenceEqual(data.AsSpan(64)));
        rb.Consume(36);
        Assert.True(rb.PeekContiguous().IsEmpty);
        Assert.Throws<ArgumentOutOfRangeException>(() => rb.Consume(1));
    }

    [Fact]
    public void Empty_fin_finishes_an_empty_stream()
    {
        var rb = new ReceiveBuffer();
        Assert.Equal(ReceiveResult.Ok, rb.Receive(0, default, true, 0));
        Assert.True(rb.IsFinished);
        Assert.Equal(0L, rb.FinalSize);
    }

    [Fact]
    public void Final_size_rules_of_rfc9000_section_4_5()
    {
        var rb = new ReceiveBuffer();
        Assert.Equal(ReceiveResult.Ok, rb.Receive(0, new byte[10], false, 100));
        // FIN below data already received.
        Assert.Equal(ReceiveResult.FinalSizeError, rb.Receive(0, new byte[5], true, 100));
        Assert.Equal(ReceiveResult.Ok, rb.Receive(10, new byte[10], true, 100));
        Assert.Equal(20L, rb.FinalSize);
        // The same FIN again is fine.
        Assert.Equal(ReceiveResult.Ok, rb.Receive(15, new byte[5], true, 100));
        // A different final size, with or without data.
        Assert.Equal(ReceiveResult.FinalSizeError, rb.Receive(15, new byte[6], true, 100));
        Assert.Equal(ReceiveResult.FinalSizeError, rb.Receive(21, default, true, 100));
        // Data beyond the final size.
        Assert.Equal(ReceiveResult.FinalSizeError, rb.Receive(19, new byte[2], false, 100));
        // Data at and below it is fine.
        Assert.Equal(ReceiveResult.Ok, rb.Receive(19, new byte[1], false, 100));
        Assert.Equal(20, rb.HighestReceivedOffset);
    }

    [Fact]
    public void Data_beyond_the_limit_is_a_flow_control_error_and_changes_nothing()
    {
        var rb = new ReceiveBuffer();
        Assert.Equal(ReceiveResult.Ok, rb.Receive(0, new byte[100], false, 100));
        Assert.Equal(ReceiveResult.FlowControlError, rb.Receive(100, new byte[1], false, 100, out long inc));
        Assert.Equal(0, inc);
        Assert.Equal(100, rb.HighestReceivedOffset);
        Assert.Equal(100, rb.BufferedBytes);
        // RFC 9000 §19.8: beyond 2^62 - 1.
        Assert.Equal(ReceiveResult.FlowControlError, rb.Receive((1L << 62) - 1, new byte[1], false, long.MaxValue));
    }

    [Fact]
    public void Reset_checks_the_final_size_and_drops_the_data()
    {
        var rb = new ReceiveBuffer(16);
        rb.Receive(0, new byte[50], false, 1000);
        rb.Receive(60, new byte[20], false, 1000);
        Assert.Equal(10, rb.Read(new byte[10]));
        Assert.Equal(ReceiveResult.FinalSizeError, rb.OnReset(79, 1000, out _, out _));
        Assert.Equal(ReceiveResult.FlowControlError, rb.OnReset(1001, 1000, out _, out _));
        Assert.Equal(ReceiveResult.Ok, rb.OnReset(100, 1000, out long inc, out long released));
        Assert.Equal(20, inc);
        Assert.Equal(90, released);
        Assert.True(rb.IsReset);
        Assert.Equal(0, rb.RentedChunks);
        Assert.Equal(0, rb.Read(new byte[10]));
        // Repeated RESET_STREAM: same final size fine, other is an error; late data checked against the final size.
        Assert.Equal(ReceiveResult.Ok, rb.OnReset(100, 1000, out inc, out released));
        Assert.Equal(0, released);
        Assert.Equal(ReceiveResult.FinalSizeError, rb.OnReset(101, 1000, out _, out _));
        Assert.Equal(ReceiveResult.Ok, rb.Receive(80, new byte[20], false, 1000));
        Assert.Equal(ReceiveResult.FinalSizeError, rb.Receive(80, new byte[21], false, 1000));
        Assert.Equal(0, rb.BufferedBytes);
    }

    [Fact]
    public void Reset_final_size_differing_from_fin_is_an_error()
    {
        var rb = new ReceiveBuffer();
        rb.Receive(0, new byte[10], true, 100);
        Assert.Equal(ReceiveResult.FinalSizeError, rb.OnReset(11, 100, out _, out _));
        Assert.Equal(ReceiveResult.Ok, rb.OnReset(10, 100, out _, out _));
    }

    [Fact]
    public void Memory_is_released_as_the_application_reads()
    {
        var rb = new ReceiveBuffer(100);
        var data = new byte[1000];
        rb.Receive(0, data, false, 1000);
        Assert.Equal(10, rb.RentedChunks);
        rb.Read(new byte[550]);
        Assert.Equal(5, rb.RentedChunks);
        rb.Read(new byte[450]);
        Assert.Equal(0, rb.RentedChunks);
    }

    [Fact]
    public void Negative_arguments_throw()
    {
        var rb = new ReceiveBuffer();
        Assert.Throws<ArgumentOutOfRangeException>(() => rb.Receive(-1, new byte[1], false, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => rb.Receive(0, new byte[1], false, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReceiveBuffer(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => rb.Consume(-1));
    }
}
