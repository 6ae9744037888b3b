using System.Text;
using System.Text.Json;
using Transport.Core.Time;
using Transport.Core.Wire;
using Transport.Quic.Qlog;

namespace Transport.Quic.Tests.Qlog;

/// <summary>Splits and checks JSON-SEQ output (RFC 7464) and builds writers over memory.</summary>
internal static class QlogTestSupport
{
    public static readonly ConnectionId Odcid = new(new byte[] { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 });

    /// <summary>2026-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset Wall = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly Instant Reference = Instant.FromMilliseconds(1_000);

    public static (QlogWriter Writer, MemoryStream Stream) NewWriter(QlogVantagePoint vp = QlogVantagePoint.Client)
    {
        var stream = new MemoryStream();
        var writer = new QlogWriter(stream, vp, Odcid, Reference, Wall, leaveOpen: true, vantagePointName: null);
        return (writer, stream);
    }

    public static Instant At(double milliseconds) => Reference + TimeSpan.FromTicks((long)Math.Round(milliseconds * 10_000));

    /// <summary>
    /// The records of a JSON-SEQ byte stream, as UTF-8 text without RS and LF. Fails unless every record starts with
    /// 0x1E, ends with 0x0A, contains no other 0x1E, and parses as one JSON object.
    /// </summary>
    public static List<string> Records(byte[] bytes)
    {
        var records = new List<string>();
        if (bytes.Length == 0) return records;
        Assert.Equal(0x1E, bytes[0]);
        int start = 1;
        for (int i = 1; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == 0x1E)
            {
                Assert.True(i - 1 >= start, "empty record");
                Assert.Equal(0x0A, bytes[i - 1]);
                string text = Encoding.UTF8.GetString(bytes, start, i - 1 - start);
                Assert.True(text.IndexOf('\n') < 0, "newline inside a record"); // the writer emits compact records
                using (var doc = JsonDocument.Parse(text))
                    Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
                records.Add(text);
                start = i + 1;
            }
        }
        return records;
    }

    public static List<string> Records(MemoryStream stream) => Records(stream.ToArray());

    /// <summary>The event records (all but the header) as parsed documents.</summary>
    public static List<JsonElement> Events(MemoryStream stream)
    {
        var list = new List<JsonElement>();
        var records = Records(stream);
        for (int i = 1; i < records.Count; i++)
            list.Add(JsonDocument.Parse(records[i]).RootElement.Clone());
        return list;
    }

    public static JsonElement Single(QlogWriter writer, MemoryStream stream)
    {
        writer.Flush();
        var events = Events(stream);
        Assert.Single(events);
        return events[0];
    }

    /// <summary>The last record, as text (for golden comparisons).</summary>
    public static string LastRecord(QlogWriter writer, MemoryStream stream)
    {
        writer.Flush();
        var records = Records(stream);
        return records[^1];
    }
}
