using System.Buffers;
using System.Text;

namespace Transport.Interop.Http3;

/// <summary>
/// Decodes field sections for a decoder that advertised SETTINGS_QPACK_MAX_TABLE_CAPACITY 0 (RFC 9204 §4.5): any
/// reference to the dynamic table, or a non-zero Required Insert Count, is QPACK_DECOMPRESSION_FAILED, as is any
/// malformed or truncated representation. Bad input raises <see cref="Http3Exception"/>, nothing else.
/// </summary>
public static class QpackDecoder
{
    /// <summary>
    /// Decodes one encoded field section. <paramref name="maxFieldSectionSize"/> bounds the decoded size as RFC 9114
    /// §4.2.2 counts it (name + value + 32 per line); exceeding it is H3_EXCESSIVE_LOAD.
    /// </summary>
    public static List<HeaderField> Decode(ReadOnlySpan<byte> fieldSection, long maxFieldSectionSize = long.MaxValue)
    {
        var fields = new List<HeaderField>();
        int p = 0;
        // RFC 9204 §4.5.1.1: with MaxEntries 0 the only valid Encoded Required Insert Count is 0.
        ulong requiredInsertCount = PrefixedInteger.Read(fieldSection, 8, ref p);
        if (requiredInsertCount != 0)
            throw Http3Exception.Qpack($"Required Insert Count {requiredInsertCount} refers to a dynamic table of capacity 0.");
        if (p >= fieldSection.Length) throw Http3Exception.Qpack("Truncated field section prefix (no Base).");
        PrefixedInteger.Read(fieldSection, 7, ref p); // S + Delta Base: meaningless without dynamic references.
        long size = 0;
        while (p < fieldSection.Length)
        {
            byte b = fieldSection[p];
            string name, value;
            if ((b & 0x80) != 0)
            {
                // RFC 9204 §4.5.2 Indexed Field Line: 1 T index(6+).
                if ((b & 0x40) == 0) throw Http3Exception.Qpack("Indexed field line refers to the dynamic table.");
                HeaderField f = StaticEntry(PrefixedInteger.Read(fieldSection, 6, ref p));
                name = f.Name;
                value = f.Value;
            }
            else if ((b & 0x40) != 0)
            {
                // RFC 9204 §4.5.4 Literal Field Line with Name Reference: 01 N T index(4+), value.
                if ((b & 0x10) == 0) throw Http3Exception.Qpack("Literal field line refers to a dynamic table name.");
                name = StaticEntry(PrefixedInteger.Read(fieldSection, 4, ref p)).Name;
                value = ReadString(fieldSection, 7, ref p);
            }
            else if ((b & 0x20) != 0)
            {
                // RFC 9204 §4.5.6 Literal Field Line with Literal Name: 001 N H length(3+) name, value.
                name = ReadString(fieldSection, 3, ref p);
                value = ReadString(fieldSection, 7, ref p);
            }
            else
            {
                // 0001xxxx (§4.5.3) and 0000xxxx (§4.5.5): post-Base references, always dynamic.
                throw Http3Exception.Qpack("Post-Base reference to the dynamic table.");
            }
            size += name.Length + value.Length + 32;
            if (size > maxFieldSectionSize)
                throw new Http3Exception(Http3ErrorCode.ExcessiveLoad, $"Field section exceeds {maxFieldSectionSize} bytes.");
            fields.Add(new HeaderField(name, value));
        }
        return fields;
    }

    private static HeaderField StaticEntry(ulong index)
    {
        if (index >= (ulong)QpackStaticTable.Count)
            throw Http3Exception.Qpack($"Static table index {index} is out of range (0..{QpackStaticTable.Count - 1}).");
        return QpackStaticTable.Entries[(int)index];
    }

    // RFC 9204 §4.1.2: H flag above an N-bit length prefix, then that many bytes, Huffman-coded when H is set.
    private static string ReadString(ReadOnlySpan<byte> source, int prefixBits, ref int p)
    {
        if (p >= source.Length) throw Http3Exception.Qpack("Truncated string literal.");
        bool huffman = (source[p] & (1 << prefixBits)) != 0;
        ulong length = PrefixedInteger.Read(source, prefixBits, ref p);
        if (length > (ulong)(source.Length - p))
            throw Http3Exception.Qpack($"String literal of {length} bytes exceeds the {source.Length - p} remaining.");
        ReadOnlySpan<byte> bytes = source.Slice(p, (int)length);
        p += (int)length;
        if (!huffman) return Encoding.Latin1.GetString(bytes);
        int max = Huffman.GetMaxDecodedLength(bytes.Length);
        byte[]? rented = null;
        Span<byte> decoded = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            int n = Huffman.Decode(bytes, decoded);
            if (n < 0) throw Http3Exception.Qpack("Invalid Huffman-coded string (EOS or bad padding).");
            return Encoding.Latin1.GetString(decoded[..n]);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
