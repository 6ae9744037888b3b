using Transport.Quic.Frames;
using Transport.Quic.Packets;

namespace Transport.Quic.Tests.Packets;

public class StatelessResetAndAckDelayTests
{
    [Fact]
    public void Stateless_reset_layout()
    {
        byte[] token = TestGen.RandomBytes(9, 16);
        var buffer = new byte[64];
        StatelessResetPacket.Write(buffer, 40, token);
        Assert.Equal(0x40, buffer[0] & 0xc0); // short header form, Fixed Bit set
        Assert.True(StatelessResetPacket.TryGetToken(buffer.AsSpan(0, 40), out ReadOnlySpan<byte> t));
        Assert.Equal(token, t.ToArray());
        Assert.False(StatelessResetPacket.TryGetToken(buffer.AsSpan(0, 20), out _));
        Assert.False(StatelessResetPacket.TryGetToken(TestGen.Hex("c0000000010000000000000000000000000000000000"), out _));
        Assert.Throws<ArgumentException>(() => StatelessResetPacket.Write(buffer, 20, token));
    }

    [Fact]
    public void Ack_delay_encoding_scales_by_the_exponent()
    {
        Assert.Equal(3125UL, FrameWriter.EncodeAckDelay(TimeSpan.FromMilliseconds(25), 3));
        Assert.Equal(0UL, FrameWriter.EncodeAckDelay(TimeSpan.FromTicks(-5), 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameWriter.EncodeAckDelay(TimeSpan.Zero, 21));
    }
}
