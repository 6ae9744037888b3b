using FsCheck;
using FsCheck.Fluent;
using Transport.Interop.Http3;

namespace Transport.Interop.Tests;

public class QpackTests
{
    [Fact]
    public void StaticTableMatchesRfc9204AppendixA()
    {
        Assert.Equal(99, QpackStaticTable.Count);
        Assert.Equal(new HeaderField(":authority", ""), QpackStaticTable.Entries[0]);
        Assert.Equal(new HeaderField(":path", "/"), QpackStaticTable.Entries[1]);
        Assert.Equal(new HeaderField(":method", "GET"), QpackStaticTable.Entries[17]);
        Assert.Equal(new HeaderField(":scheme", "https"), QpackStaticTable.Entries[23]);
        Assert.Equal(new HeaderField(":status", "200"), QpackStaticTable.Entries[25]);
        Assert.Equal(new HeaderField(":status", "404"), QpackStaticTable.Entries[27]);
        Assert.Equal(new HeaderField("content-type", "text/plain;charset=utf-8"), QpackStaticTable.Entries[54]);
        Assert.Equal(new HeaderField(":status", "500"), QpackStaticTable.Entries[71]);
        Assert.Equal(new HeaderField("content-security-policy", "script-src 'none'; object-src 'none'; base-uri 'none'"), QpackStaticTable.Entries[85]);
        Assert.Equal(new HeaderField("x-frame-options", "sameorigin"), QpackStaticTable.Entries[98]);
        Assert.Equal(4, QpackStaticTable.FindName("content-length"));
        Assert.Equal(17, QpackStaticTable.FindField(":method", "GET"));
        Assert.Equal(-1, QpackStaticTable.FindField(":method", "PATCH"));
    }

    // RFC 9204 B.1: literal field line with a static name reference.
    [Fact]
    public void Rfc9204B1()
    {
        byte[] wire = Hex.Parse("0000 510b 2f69 6e64 6578 2e68 746d 6c");
        Assert.Equal([new HeaderField(":path", "/index.html")], QpackDecoder.Decode(wire));
        Assert.Equal(wire, QpackEncoder.Encode([new HeaderField(":path", "/index.html")], useHuffman: false));
    }

    // RFC 9204 B.2, stream 4: Required Insert Count 2 and post-Base references; with our capacity 0 they must fail.
    [Fact]
    public void Rfc9204B2DynamicReferencesAreRejected()
    {
        var e = Assert.Throws<Http3Exception>(() => QpackDecoder.Decode(Hex.Parse("0381 10 11")));
        Assert.Equal(Http3ErrorCode.QpackDecompressionFailed, e.ErrorCode);
    }

    [Fact]
    public void EncodesIndexedAndHuffmanLiterals()
    {
        // :method GET = static 17 -> 0xd1; :scheme https = 23 -> 0xd7; :authority (0) with Huffman "www.example.com".
        byte[] wire = QpackEncoder.Encode(
        [
            new HeaderField(":method", "GET"),
            new HeaderField(":scheme", "https"),
            new HeaderField(":authority", "www.example.com"),
        ]);
        Assert.Equal("0000d1d7508cf1e3c2e5f23a6ba0ab90f4ff", Hex.Of(wire));
    }

    [Theory]
    [InlineData("0000 80")]             // indexed, T=0: dynamic
    [InlineData("0000 10")]             // indexed post-Base
    [InlineData("0000 4000")]           // literal, dynamic name reference
    [InlineData("0000 0000")]           // literal, post-Base name reference
    [InlineData("0100")]                // Required Insert Count 1
    [InlineData("00")]                  // no Base
    [InlineData("")]                    // nothing at all
    [InlineData("0000 ff24")]           // static index 99 (63 + 36): out of range
    [InlineData("0000 ff")]             // truncated index
    [InlineData("0000 5f")]             // truncated name index (4-bit prefix, continuation missing)
    [InlineData("0000 51")]             // name reference without a value
    [InlineData("0000 510b 2f69")]      // value longer than the input
    [InlineData("0000 517f ffffffffffffffffff01")] // absurd value length
    [InlineData("0000 23 6162")]        // literal name longer than the input
    [InlineData("0000 51 81 18")]       // Huffman value with bad padding
    [InlineData("0000 51 84 ffffffff")] // Huffman value containing EOS
    [InlineData("0000 29 ff 00")]       // Huffman name: 8 bits of padding
    public void MalformedInputIsQpackError(string hex)
    {
        var e = Assert.Throws<Http3Exception>(() => QpackDecoder.Decode(Hex.Parse(hex)));
        Assert.Equal(Http3ErrorCode.QpackDecompressionFailed, e.ErrorCode);
    }

    [Fact]
    public void FieldSectionSizeLimitIsExcessiveLoad()
    {
        byte[] wire = QpackEncoder.Encode([new HeaderField("x-big", new string('a', 100))]);
        var e = Assert.Throws<Http3Exception>(() => QpackDecoder.Decode(wire, maxFieldSectionSize: 100));
        Assert.Equal(Http3ErrorCode.ExcessiveLoad, e.ErrorCode);
        Assert.Single(QpackDecoder.Decode(wire, maxFieldSectionSize: 137));
    }

    private static Gen<string> Latin1(int maxLength, char lo, char hi) =>
        from n in Gen.Choose(0, maxLength)
        from cs in Gen.ArrayOf(Gen.Choose(lo, hi).Select(i => (char)i), n)
        select new string(cs);

    [Fact]
    public void RoundTripsFieldSections()
    {
        Gen<HeaderField> fromTable = Gen.Elements(QpackStaticTable.Entries.ToArray());
        Gen<HeaderField> nameFromTable =
            from f in fromTable
            from v in Latin1(40, '\0', '\u00ff')
            select new HeaderField(f.Name, v);
        Gen<HeaderField> literal =
            from name in Latin1(20, 'a', 'z').Where(s => s.Length > 0)
            from v in Latin1(300, '\0', '\u00ff')
            select new HeaderField(name, v);
        Gen<HeaderField> field = Gen.OneOf(fromTable, nameFromTable, literal);
        var gen = from fields in Gen.ListOf(field)
                  from huffman in ArbMap.Default.GeneratorFor<bool>()
                  select (fields, huffman);
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            byte[] wire = QpackEncoder.Encode(t.fields, t.huffman);
            return QpackDecoder.Decode(wire).SequenceEqual(t.fields);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ArbitraryBytesNeverEscapeAsOtherExceptions()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            try
            {
                byte[] wire = new byte[bytes.Length + 2]; // valid prefix, random representations
                bytes.CopyTo(wire, 2);
                QpackDecoder.Decode(wire);
                QpackDecoder.Decode(bytes);
            }
            catch (Http3Exception e) when (e.ErrorCode is Http3ErrorCode.QpackDecompressionFailed) { }
            return true;
        }).QuickCheckThrowOnFailure();
    }
}
