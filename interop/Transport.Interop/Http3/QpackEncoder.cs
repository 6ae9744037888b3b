using System.Buffers;
using System.Text;

namespace Transport.Interop.Http3;

/// <summary>
/// Encodes field sections without the dynamic table (RFC 9204 §4.5): Required Insert Count 0, Base 0, then each line
/// as an indexed static field line, a literal with a static name reference, or a literal with a literal name. String
/// literals are Huffman-coded when that is shorter.
/// </summary>
public static class QpackEncoder
{
    /// <summary>Encodes <paramref name="fields"/> into <paramref name="destination"/>.</summary>
    public static void Encode(IReadOnlyList<HeaderField> fields, IBufferWriter<byte> destination, bool useHuffman = true)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(destination);
        // RFC 9204 §4.5.1: Required Insert Count = 0 (8-bit prefix), S = 0 and Delta Base = 0 (7-bit prefix).
        Span<byte> prefix = destination.GetSpan(2);
        prefix[0] = 0;
        prefix[1] = 0;
        destination.Advance(2);
        for (int i = 0; i < fields.Count; i++)
        {
            HeaderField f = fields[i];
            if (f.Name is null || f.Value is null) throw new ArgumentException($"Field {i} has a null name or value.", nameof(fields));
            if (f.Name.Length == 0) throw new ArgumentException($"Field {i} has an empty name.", nameof(fields));
            int index = QpackStaticTable.FindField(f.Name, f.Value);
            if (index >= 0)
            {
                // RFC 9204 §4.5.2: 1 T(=1 static) index(6+).
                WriteInteger(destination, (ulong)index, 6, 0xC0);
                continue;
            }
            index = QpackStaticTable.FindName(f.Name);
            if (index >= 0)
            {
                // RFC 9204 §4.5.4: 01 N(=0) T(=1 static) index(4+), then the value (H + 7-bit length).
                WriteInteger(destination, (ulong)index, 4, 0x50);
            }
            else
            {
                // RFC 9204 §4.5.6: 001 N(=0) H name-length(3+) name, then the value.
                WriteString(destination, f.Name, 3, 0x20, useHuffman);
            }
            WriteString(destination, f.Value, 7, 0x00, useHuffman);
        }
    }

    /// <summary>Encodes <paramref name="fields"/> into a new array.</summary>
    public static byte[] Encode(IReadOnlyList<HeaderField> fields, bool useHuffman = true)
    {
        var w = new ArrayBufferWriter<byte>(64);
        Encode(fields, w, useHuffman);
        return w.WrittenSpan.ToArray();
    }

    private static void WriteInteger(IBufferWriter<byte> destination, ulong value, int prefixBits, byte flags)
    {
        Span<byte> span = destination.GetSpan(10);
        PrefixedInteger.TryWrite(span, value, prefixBits, flags, out int n);
        destination.Advance(n);
    }

    // A string literal (RFC 9204 §4.1.2): H flag just above the N-bit length prefix, then the (Huffman) bytes.
    private static void WriteString(IBufferWriter<byte> destination, string s, int prefixBits, byte flags, bool useHuffman)
    {
        int rawLength = Encoding.Latin1.GetByteCount(s);
        byte[]? rented = null;
        Span<byte> raw = rawLength <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(rawLength));
        raw = raw[..rawLength];
        Encoding.Latin1.GetBytes(s, raw);
        int huffLength = useHuffman ? Huffman.GetEncodedLength(raw) : int.MaxValue;
        byte hBit = (byte)(1 << prefixBits);
        if (huffLength < rawLength)
        {
            WriteInteger(destination, (ulong)huffLength, prefixBits, (byte)(flags | hBit));
            Span<byte> span = destination.GetSpan(huffLength);
            Huffman.Encode(raw, span);
            destination.Advance(huffLength);
        }
        else
        {
            WriteInteger(destination, (ulong)rawLength, prefixBits, flags);
            destination.Write(raw);
        }
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }
}
