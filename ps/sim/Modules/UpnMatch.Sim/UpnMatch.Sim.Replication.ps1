<#
.SYNOPSIS
    Several domain controllers per domain and the delay before a write reaches the others (dot-sourced by
    UpnMatch.Sim.psm1). Used by the ActiveDirectory fakes (-Server, Sync-ADObject) and by the sync engine (the
    AD connector imports from its domain controller).
.DESCRIPTION
    forest.users holds every object as its newest write left it. A write made on one DC of a domain with more
    than one DC also records forest.replication.pending[] = { objectGuid, dc, at, replicatesAt, before,
    receivedBy }: until replicatesAt, every other DC (not in receivedBy) still serves `before` (null: the object
    does not exist there yet). Sync-ADObject adds a DC to receivedBy at once.

    Sources:
    [KB214678] "Modify the default intra-site domain controller replication interval"
               https://learn.microsoft.com/troubleshoot/windows-server/active-directory/modify-default-intra-site-dc-replication-interval
               (a change is announced to intra-site partners after 15 seconds; inter-site replication follows the
               site link schedule). The sim uses one delay per forest: forest.replication.delaySeconds (default 15).
    [SYNCADOBJECT] "Sync-ADObject" https://learn.microsoft.com/powershell/module/activedirectory/sync-adobject
               ("replicates a single object between any two domain controllers that have partitions in common").
    Guesses (no source): which DC a call without -Server reaches (the sim's forest.replication.currentDC when it
    is a DC of the domain, else the domain's PDC emulator: the real DC locator picks one by site); removals are
    seen on every DC at once (only creations, changes and moves are delayed).
#>


function Get-SimDomainControllers {
    <# The DCs of a domain: domainControllers, else its PDC emulator alone. #>
    param([Parameter(Mandatory = $true)] $Domain)
    $list = @(Get-SimValue $Domain 'domainControllers' @() | ForEach-Object { [string]$_ } | Where-Object { $_ })
    if ($list.Count -eq 0) { $list = @([string](Get-SimValue $Domain 'PDCEmulator' '')) }
    return , $list
}

function Resolve-SimDomainController {
    <#
    .SYNOPSIS
        The DC a call reaches: -Server when it names a DC of the domain (a port is ignored), else the forest's
        current DC when it is one of the domain's, else the domain's PDC emulator (guess: see the file's notes).
    #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] $Domain, [string] $Server)
    $dcs = Get-SimDomainControllers $Domain
    if ($Server) {
        $name = $Server
        if ($name.IndexOf(':') -gt 0) { $name = $name.Substring(0, $name.IndexOf(':')) }
        foreach ($dc in $dcs) { if ($dc.Equals($name, [StringComparison]::OrdinalIgnoreCase)) { return $dc } }
    }
    $current = [string](Get-SimValue (Get-SimValue $State.forest 'replication') 'currentDC' '')
    foreach ($dc in $dcs) { if ($current -and $dc.Equals($current, [StringComparison]::OrdinalIgnoreCase)) { return $dc } }
    $pdc = [string](Get-SimValue $Domain 'PDCEmulator' '')
    if ($pdc) { return $pdc }
    return $dcs[0]
}

function Get-SimReplicationPending {
    <# forest.replication.pending (an empty array when there is none). #>
    param([Parameter(Mandatory = $true)] $State)
    return , @(Get-SimValue (Get-SimValue $State.forest 'replication') 'pending' @())
}

function Add-SimReplicationWrite {
    <#
    .SYNOPSIS
        Records a write made on Dc: the other DCs of the domain keep Before until the replication delay has
        passed. Nothing is recorded in a domain with one DC.
    #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] $Domain, [Parameter(Mandatory = $true)] [string] $Dc,
        [Parameter(Mandatory = $true)] [string] $ObjectGuid, [AllowNull()] $Before, [Parameter(Mandatory = $true)] [datetime] $Now)
    $dcs = Get-SimDomainControllers $Domain
    if ($dcs.Count -lt 2) { return }
    $forest = $State.forest
    $replication = Get-SimValue $forest 'replication'
    if ($null -eq $replication) { $replication = [ordered]@{}; $forest['replication'] = $replication }
    $delay = [double](Get-SimValue $replication 'delaySeconds' 15)
    $copy = $null
    if ($null -ne $Before) { $copy = Copy-SimData $Before }
    $entry = [ordered]@{
        objectGuid = $ObjectGuid; dc = $Dc; at = (Format-SimTime $Now); replicatesAt = (Format-SimTime ($Now.AddSeconds($delay)))
        before = $copy; receivedBy = @()
    }
    $pending = Get-SimReplicationPending $State
    $replication['pending'] = @($pending) + @($entry)
}

function Test-SimEntryOnDc {
    <# Whether a pending write has reached Dc at time At. #>
    param($Entry, [string] $Dc, [datetime] $At)
    if (([string]$Entry.dc).Equals($Dc, [StringComparison]::OrdinalIgnoreCase)) { return $true }
    foreach ($received in @(Get-SimValue $Entry 'receivedBy' @())) { if (([string]$received).Equals($Dc, [StringComparison]::OrdinalIgnoreCase)) { return $true } }
    $replicates = ConvertFrom-SimTime ([string]$Entry.replicatesAt)
    return ($null -ne $replicates -and $replicates -le $At)
}

function Get-SimAdUserOnDc {
    <#
    .SYNOPSIS
        An AD user as domain controller Dc serves it at time At: @{ User; Current; Arrived }. User is $null when the
        object has not reached Dc; Current is $true when Dc has its newest write; Arrived is $true when a write
        reached Dc by replication (or Sync-ADObject) rather than by being made there.
    .DESCRIPTION
        Writes replicate in order: Dc serves the state before the first write it has not received yet.
    #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] $User, [string] $Dc, [datetime] $At, $Pending)
    if ($null -eq $Pending) { $Pending = Get-SimReplicationPending $State }
    $result = @{ User = $User; Current = $true; Arrived = $false }
    if (-not $Dc -or @($Pending).Count -eq 0) { return $result }
    $guid = [string]$User.ObjectGUID
    foreach ($entry in @($Pending)) {
        if (-not ([string]$entry.objectGuid).Equals($guid, [StringComparison]::OrdinalIgnoreCase)) { continue }
        if (Test-SimEntryOnDc $entry $Dc $At) {
            if (-not ([string]$entry.dc).Equals($Dc, [StringComparison]::OrdinalIgnoreCase)) { $result.Arrived = $true }
            continue
        }
        return @{ User = (Get-SimValue $entry 'before'); Current = $false; Arrived = $false }
    }
    return $result
}

function Sync-SimAdObject {
    <#
    .SYNOPSIS
        [SYNCADOBJECT] Replicates one object from Source to Destination now: every write Source has reached
        Destination too. Returns the number of writes that moved.
    #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] [string] $ObjectGuid, [Parameter(Mandatory = $true)] [string] $Source,
        [Parameter(Mandatory = $true)] [string] $Destination, [Parameter(Mandatory = $true)] [datetime] $Now)
    $moved = 0
    $pending = Get-SimReplicationPending $State
    foreach ($entry in $pending) {
        if (-not ([string]$entry.objectGuid).Equals($ObjectGuid, [StringComparison]::OrdinalIgnoreCase)) { continue }
        if (-not (Test-SimEntryOnDc $entry $Source $Now) -or (Test-SimEntryOnDc $entry $Destination $Now)) { continue }
        $entry['receivedBy'] = @(@(Get-SimValue $entry 'receivedBy' @()) + @($Destination))
        $moved++
    }
    return $moved
}

function Remove-SimReplicatedWrites {
    <# Drops the pending writes every DC had before Since (a later delta import no longer needs them). #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] [datetime] $Since)
    $replication = Get-SimValue $State.forest 'replication'
    if ($null -eq $replication) { return }
    $pending = Get-SimReplicationPending $State
    $kept = @($pending | Where-Object { (ConvertFrom-SimTime ([string]$_.replicatesAt)) -ge $Since })
    $replication['pending'] = $kept
}

function Get-SimConnectorDomainController {
    <#
    .SYNOPSIS
        The DC the AD connector imports a domain from: the first of sync.preferredDCs that is a DC of the domain,
        else the domain's PDC emulator. Microsoft documents neither how the connector picks a DC without
        preferred DCs nor whether it falls back when they fail (rule sheet 6.6: unverified): the sim takes the
        first preferred DC, always.
    #>
    param([Parameter(Mandatory = $true)] $State, [Parameter(Mandatory = $true)] $Domain)
    $dcs = Get-SimDomainControllers $Domain
    foreach ($preferred in @(Get-SimValue $State.sync 'preferredDCs' @())) {
        foreach ($dc in $dcs) { if ($dc.Equals([string]$preferred, [StringComparison]::OrdinalIgnoreCase)) { return $dc } }
    }
    $pdc = [string](Get-SimValue $Domain 'PDCEmulator' '')
    if ($pdc) { return $pdc }
    return $dcs[0]
}
