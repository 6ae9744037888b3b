using FsCheck;
using FsCheck.Fluent;
using Transport.Core.Wire;

namespace Transport.Core.Tests.Wire;

public class SpanReaderWriterTests
{
    [Fact]
    public void WritesNetworkByteOrder()
    {
        byte[] buffer = new byte[32];
        var writer = new SpanWriter(buffer);
        writer.WriteByte(0xAB);
        writer.WriteUInt16(0x0102);
        writer.WriteUInt24(0x030405);
        writer.WriteUInt32(0x06070809);
        writer.WriteUInt64(0x0A0B0C0D0E0F1011);
        writer.WriteVarInt(15293);
        Assert.Equal("ab0102030405060708090a0b0c0d0e0f10117bbd", Convert.ToHexStringLower(writer.Written));
    }

    [Fact]
    public void ReadsWhatWasWritten()
    {
        byte[] buffer = new byte[64];
        var writer = new SpanWriter(buffer);
        writer.WriteUInt16(65535);
        writer.WriteVarIntLengthPrefixed("hello"u8);
        Assert.True(writer.TryWriteUInt8LengthPrefixed("ab"u8));
        Assert.True(writer.TryWriteUInt16LengthPrefixed("xyz"u8));
        writer.WriteConnectionId(new ConnectionId([1, 2, 3, 4]));
        int length = writer.Position;

        var reader = new SpanReader(buffer.AsSpan(0, length));
        Assert.Equal(65535, reader.ReadUInt16());
        Assert.Equal("hello"u8.ToArray(), reader.ReadVarIntLengthPrefixed().ToArray());
        Assert.True(reader.TryReadUInt8LengthPrefixed(out var ab));
        Assert.Equal("ab"u8.ToArray(), ab.ToArray());
        Assert.True(reader.TryReadUInt16LengthPrefixed(out var xyz));
        Assert.Equal("xyz"u8.ToArray(), xyz.ToArray());
        Assert.Equal(new ConnectionId([1, 2, 3, 4]), reader.ReadConnectionId());
        Assert.True(reader.IsEmpty);
    }

    [Fact]
    public void TruncatedInput_TryFormsReturnFalse_AndKeepPosition()
    {
        var reader = new SpanReader(Convert.FromHexString("40"));
        Assert.False(reader.TryReadVarInt(out _));
        Assert.False(reader.TryReadUInt16(out _));
        Assert.Equal(0, reader.Position);
        var lengthPrefixed = new SpanReader(Convert.FromHexString("05616263"));
        Assert.False(lengthPrefixed.TryReadVarIntLengthPrefixed(out _));
        Assert.Equal(0, lengthPrefixed.Position);
    }

    [Fact]
    public void TruncatedInput_ReadFormsThrowTheCodecError()
    {
        byte[] three = [1, 2, 3];
        Assert.Throws<WireFormatException>(() => new SpanReader(three).ReadUInt32());
        Assert.Throws<WireFormatException>(() => new SpanReader(three).ReadBytes(4));
        Assert.Throws<WireFormatException>(() => new SpanReader([5, 1, 2]).ReadConnectionId());
        Assert.Throws<WireFormatException>(() => new SpanWriter(new byte[1]).WriteUInt16(1));
    }

    [Fact]
    public void ConnectionIdLongerThanAllowed_IsRejected()
    {
        byte[] bytes = new byte[30];
        bytes[0] = 21; // 21-byte CID: too long for QUIC v1
        var reader = new SpanReader(bytes);
        Assert.False(reader.TryReadConnectionId(out _));
        Assert.Equal(0, reader.Position);
        var shortLimit = new SpanReader([4, 1, 2, 3, 4]);
        Assert.False(shortLimit.TryReadConnectionId(out _, maxLength: 3));
    }

    /// <summary>Any prefix of valid input, read with any method, gives false or WireFormatException, never anything else.</summary>
    [Fact]
    public void ArbitraryBytes_NeverRaiseAnythingButTheCodecError()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), Gen.Choose(0, 11).ToArbitrary(), (bytes, op) =>
        {
            try
            {
                var reader = new SpanReader(bytes);
                while (!reader.IsEmpty)
                {
                    switch (op)
                    {
                        case 0: reader.ReadVarInt(); break;
                        case 1: reader.ReadVarIntLengthPrefixed(); break;
                        case 2: reader.ReadConnectionId(); break;
                        case 3: reader.ReadUInt24(); break;
                        case 4: reader.ReadUInt64(); break;
                        case 5: if (!reader.TryReadUInt16LengthPrefixed(out _)) return true; break;
                        case 6: if (!reader.TryReadUInt24LengthPrefixed(out _)) return true; break;
                        case 7: if (!reader.TryReadUInt8LengthPrefixed(out _)) return true; break;
                        case 8: reader.ReadBytes(3); break;
                        case 9: reader.ReadUInt32(); break;
                        case 10: reader.Skip(2); break;
                        default: reader.ReadByte(); break;
                    }
                }
                return true;
            }
            catch (WireFormatException)
            {
                return true;
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void RoundTrip_SequenceOfFields_Property()
    {
        var field = Gen.OneOf(
            ArbMap.Default.GeneratorFor<ulong>().Select(v => (Kind: 0, Value: v & VarInt.MaxValue, Bytes: Array.Empty<byte>())),
            ArbMap.Default.GeneratorFor<uint>().Select(v => (Kind: 1, Value: (ulong)v, Bytes: Array.Empty<byte>())),
            ArbMap.Default.GeneratorFor<byte[]>().Select(b => (Kind: 2, Value: 0UL, Bytes: b)),
            Gen.Choose(0, 20).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n)).Select(b => (Kind: 3, Value: 0UL, Bytes: b)));
        Prop.ForAll(Gen.ListOf(field).Select(l => l.ToArray()).ToArbitrary(), fields =>
        {
            byte[] buffer = new byte[fields.Sum(f => 9 + f.Bytes.Length)];
            var writer = new SpanWriter(buffer);
            foreach (var f in fields)
            {
                switch (f.Kind)
                {
                    case 0: writer.WriteVarInt(f.Value); break;
                    case 1: writer.WriteUInt32((uint)f.Value); break;
                    case 2: writer.WriteVarIntLengthPrefixed(f.Bytes); break;
                    default: writer.WriteConnectionId(new ConnectionId(f.Bytes)); break;
                }
            }
            var reader = new SpanReader(writer.Written);
            foreach (var f in fields)
            {
                bool same = f.Kind switch
                {
                    0 => reader.ReadVarInt() == f.Value,
                    1 => reader.ReadUInt32() == (uint)f.Value,
                    2 => reader.ReadVarIntLengthPrefixed().SequenceEqual(f.Bytes),
                    _ => reader.ReadConnectionId().Span.SequenceEqual(f.Bytes),
                };
                if (!same) return false;
            }
            return reader.IsEmpty;
        }).QuickCheckThrowOnFailure();
    }
}
