using System.Buffers;
using System.IO.Pipelines;
using Transport.Interop.Http3;

namespace Transport.Interop.Tests;

public class FrameTests
{
    [Theory]
    [InlineData(0x21UL, true)]
    [InlineData(0x40UL, true)]
    [InlineData(0x5fUL, true)]
    [InlineData(0x21UL + 0x1fUL * 1000, true)]
    [InlineData(0x22UL, false)]
    [InlineData(0x20UL, false)]
    [InlineData(0x1UL, false)]
    public void ReservedTypes(ulong type, bool reserved) => Assert.Equal(reserved, Http3FrameType.IsReserved(type));

    [Fact]
    public void SettingsRoundTrip()
    {
        var s = new Http3Settings { MaxFieldSectionSize = 65536, QpackBlockedStreams = 0 };
        s.Unknown.Add((0x21, 7));
        var w = new ArrayBufferWriter<byte>();
        s.WriteFrame(w);
        var seq = new ReadOnlySequence<byte>(w.WrittenMemory);
        Assert.True(Http3Frames.TryReadFrameHeader(seq, out ulong type, out ulong length, out int consumed));
        Assert.Equal(Http3FrameType.Settings, type);
        Assert.Equal((ulong)(w.WrittenCount - consumed), length);
        Http3Settings back = Http3Settings.Parse(w.WrittenSpan[consumed..]);
        Assert.Equal(65536UL, back.MaxFieldSectionSize);
        Assert.Equal(0UL, back.QpackMaxTableCapacity);
        Assert.Equal([(0x21UL, 7UL)], back.Unknown);
        // Exact bytes: type 04, length 07, 06 -> 65536 (4-byte varint 80010000), 21 -> 07.
        Assert.Equal("040706800100002107", Hex.Of(w.WrittenSpan));
    }

    [Theory]
    [InlineData("0200", Http3ErrorCode.SettingsError)]     // HTTP/2 ENABLE_PUSH
    [InlineData("0500", Http3ErrorCode.SettingsError)]     // HTTP/2 MAX_FRAME_SIZE
    [InlineData("06010602", Http3ErrorCode.SettingsError)] // duplicate
    [InlineData("06", Http3ErrorCode.FrameError)]          // identifier without value
    [InlineData("0640", Http3ErrorCode.FrameError)]        // truncated value varint
    public void BadSettings(string hex, long code)
    {
        var e = Assert.Throws<Http3Exception>(() => Http3Settings.Parse(Hex.Parse(hex)));
        Assert.Equal(code, e.ErrorCode);
    }

    [Fact]
    public void VarIntPayloadMustBeExact()
    {
        Assert.Equal(4UL, Http3Frames.ParseVarIntPayload(Hex.Parse("04")));
        Assert.Equal(Http3ErrorCode.FrameError, Assert.Throws<Http3Exception>(() => Http3Frames.ParseVarIntPayload(Hex.Parse("0400"))).ErrorCode);
        Assert.Equal(Http3ErrorCode.FrameError, Assert.Throws<Http3Exception>(() => Http3Frames.ParseVarIntPayload(Hex.Parse("40"))).ErrorCode);
        Assert.Equal(Http3ErrorCode.FrameError, Assert.Throws<Http3Exception>(() => Http3Frames.ParseVarIntPayload([])).ErrorCode);
    }

    [Fact]
    public async Task FramesRoundTripThroughAPipeInTinyPieces()
    {
        var w = new ArrayBufferWriter<byte>();
        byte[] headers = QpackEncoder.Encode([new HeaderField(":status", "200")]);
        byte[] body = new byte[100_000];
        new Random(1).NextBytes(body);
        Http3Frames.WriteFrame(w, Http3FrameType.Headers, headers);
        Http3Frames.WriteFrame(w, 0x21 + 0x1f * 3, [1, 2, 3]); // reserved type
        Http3Frames.WriteFrame(w, Http3FrameType.Data, body);
        Http3Frames.WriteVarIntFrame(w, Http3FrameType.GoAway, 1_000_000);
        Http3Frames.WriteFrame(w, Http3FrameType.Data, []);
        byte[] wire = w.WrittenSpan.ToArray();

        var pipe = new Pipe();
        var feeder = Task.Run(async () =>
        {
            // Feed 7 bytes at a time so every header and varint gets split across reads.
            for (int i = 0; i < wire.Length; i += 7)
            {
                await pipe.Writer.WriteAsync(wire.AsMemory(i, Math.Min(7, wire.Length - i)));
            }
            await pipe.Writer.CompleteAsync();
        });
        var r = new Http3FrameReader(pipe.Reader);
        Assert.True(await r.ReadFrameHeaderAsync());
        Assert.Equal(Http3FrameType.Headers, r.FrameType);
        Assert.Equal(headers, await r.ReadPayloadAsync(1000));
        Assert.True(await r.ReadFrameHeaderAsync());
        Assert.Equal(0x21UL + 0x1f * 3, r.FrameType);
        Assert.Equal(3UL, r.PayloadLength); // left unread: the next header read skips it
        Assert.True(await r.ReadFrameHeaderAsync());
        Assert.Equal(Http3FrameType.Data, r.FrameType);
        var ms = new MemoryStream();
        await r.CopyPayloadToAsync(ms);
        Assert.Equal(body, ms.ToArray());
        Assert.True(await r.ReadFrameHeaderAsync());
        Assert.Equal(Http3FrameType.GoAway, r.FrameType);
        Assert.Equal(1_000_000UL, Http3Frames.ParseVarIntPayload(await r.ReadPayloadAsync(8)));
        Assert.True(await r.ReadFrameHeaderAsync());
        Assert.Equal(0UL, r.PayloadLength);
        Assert.False(await r.ReadFrameHeaderAsync());
        await feeder;
    }

    [Theory]
    [InlineData("01")]           // FIN inside the header
    [InlineData("0140")]         // FIN inside the length varint
    [InlineData("0105aabb")]     // FIN inside the payload
    public async Task TruncatedFrameIsFrameError(string hex)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Hex.Parse(hex));
        await pipe.Writer.CompleteAsync();
        var r = new Http3FrameReader(pipe.Reader);
        var e = await Assert.ThrowsAsync<Http3Exception>(async () =>
        {
            while (await r.ReadFrameHeaderAsync()) await r.ReadPayloadAsync(100);
        });
        Assert.Equal(Http3ErrorCode.FrameError, e.ErrorCode);
    }

    [Fact]
    public async Task OversizeBufferedPayloadIsExcessiveLoad()
    {
        var pipe = new Pipe();
        var w = new ArrayBufferWriter<byte>();
        Http3Frames.WriteFrameHeader(w, Http3FrameType.Headers, 1UL << 40);
        await pipe.Writer.WriteAsync(w.WrittenMemory);
        var r = new Http3FrameReader(pipe.Reader);
        Assert.True(await r.ReadFrameHeaderAsync());
        var e = await Assert.ThrowsAsync<Http3Exception>(async () => await r.ReadPayloadAsync(65536));
        Assert.Equal(Http3ErrorCode.ExcessiveLoad, e.ErrorCode);
    }
}
