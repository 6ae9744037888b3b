using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Transport.Interop.Relay;

namespace Transport.Interop.Tests.Relay;

/// <summary>Skips unless an nftables redirect can be made here (root, nft, a kernel that takes nat tables).</summary>
public sealed class RequiresRedirectFactAttribute : FactAttribute
{
    /// <summary>Sets Skip to what is missing.</summary>
    public RequiresRedirectFactAttribute()
    {
        if (LoopbackRedirect.MissingReason is { } missing) Skip = missing;
    }
}

/// <summary>
/// connectionmigration with a server that binds its own preferred address: an nftables DNAT sends the client's datagrams
/// for that address to the relay's second port, the relay's marked upstream sockets still reach it.
/// </summary>
public class LoopbackRedirectTests
{
    [RequiresRedirectFact]
    public void The_clients_datagrams_to_the_servers_own_preferred_address_pass_through_the_relay_and_replies_look_like_the_server()
    {
        using var main = new UdpTestPeer(echo: true);
        using var preferred = new UdpTestPeer(echo: true); // the server's own preferred address (gtlsserver binds it)
        using var relay = new UdpRelay(new UdpRelayOptions
        {
            ServerEndPoint = main.EndPoint, Scenario = RelayScenario.Perfect, Lifetime = TimeSpan.FromSeconds(30),
            PreferredListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0), PreferredServerEndPoint = preferred.EndPoint,
            UpstreamSocketMark = LoopbackRedirect.BypassMark,
        });
        string table;
        using (var redirect = LoopbackRedirect.Create(preferred.EndPoint, relay.PreferredListenEndPoint!))
        {
            table = redirect.TableName;
            Assert.StartsWith(LoopbackRedirect.TablePrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "_", table, StringComparison.Ordinal);
            Assert.Contains(table, ListTables());
            using var client = new UdpTestPeer();
            client.Send(Encoding.ASCII.GetBytes("to-main"), relay.ListenEndPoint);
            client.Send(Encoding.ASCII.GetBytes("to-preferred"), preferred.EndPoint); // dialled directly, as a client following preferred_address
            var got = client.ReceiveMany(2, TimeSpan.FromSeconds(2));
            Assert.Equal(2, got.Count);
            // The reply through the relay's second port comes back from the address the client dialled (conntrack).
            Assert.Equal(preferred.EndPoint, got.Single(p => Encoding.ASCII.GetString(p.Data) == "to-preferred").From);
            // The server's preferred socket got it from the relay (the NAT mapping), not from the client: it went through the relay.
            ReceivedPacket atPreferred = Assert.Single(preferred.All);
            Assert.Equal(main.All[0].From, atPreferred.From);
            Assert.NotEqual(client.EndPoint, atPreferred.From);
            Assert.Equal(2, relay.Statistics.ToServer.Forwarded); // both datagrams were forwarded by the relay
        }
        Assert.DoesNotContain(table, ListTables());
    }

    [RequiresRedirectFact]
    public void Stale_tables_of_dead_processes_are_removed_and_live_ones_kept()
    {
        // pid 4194305 is above Linux's pid_max limit (2^22), so it never runs.
        string stale = LoopbackRedirect.TablePrefix + "4194305_1";
        Nft($"add table ip {stale}");
        using var live = LoopbackRedirect.Create(new IPEndPoint(IPAddress.Loopback, 9), new IPEndPoint(IPAddress.Loopback, 10));
        try
        {
            Assert.True(LoopbackRedirect.RemoveStaleTables() >= 1);
            string tables = ListTables();
            Assert.DoesNotContain(stale, tables);
            Assert.Contains(live.TableName, tables);
        }
        finally
        {
            if (ListTables().Contains(stale, StringComparison.Ordinal)) Nft($"delete table ip {stale}");
        }
    }

    [Fact]
    public void Only_loopback_addresses_are_redirected()
    {
        Assert.Throws<ArgumentException>(() => LoopbackRedirect.Create(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 443), new IPEndPoint(IPAddress.Loopback, 4433)));
        Assert.Throws<ArgumentException>(() => LoopbackRedirect.Create(new IPEndPoint(IPAddress.Loopback, 443), new IPEndPoint(IPAddress.Parse("192.168.1.1"), 4433)));
        Assert.Throws<ArgumentException>(() => LoopbackRedirect.Create(new IPEndPoint(IPAddress.Loopback, 443), new IPEndPoint(IPAddress.IPv6Loopback, 4433)));
        Assert.Throws<ArgumentException>(() => LoopbackRedirect.Create(new IPEndPoint(IPAddress.Loopback, 443), new IPEndPoint(IPAddress.Loopback, 4433), bypassMark: 0));
    }

    private static string ListTables() => Nft("list tables");

    private static string Nft(string args)
    {
        var psi = new ProcessStartInfo(LoopbackRedirect.ExecutablePath!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args.Split(' ')) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "nft " + args + ": " + p.StandardError.ReadToEnd());
        return output;
    }
}
