# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for devown(8).
#
# Commands, their options, PCI addresses (/sys/bus/pci/devices, described by their driver),
# IOMMU group numbers (/sys/kernel/iommu_groups) and, for the last argument of bind, PCI
# drivers (/sys/bus/pci/drivers) plus "vfio" and "none". Like devown itself, it reads these
# below $DEVOWN_ROOT when that is set (a testing aid, see devown(8)).

function __devown_root
    string replace -r '/+$' '' -- "$DEVOWN_ROOT"
end

# The command: the first word that is neither an option nor an option's value.
function __devown_command
    set -l words (commandline -opc)
    set -l skip 0
    for w in $words[2..-1]
        if test $skip = 1
            set skip 0
        else if contains -- $w --timeout --device --origin
            set skip 1
        else if string match -q -- '-*' $w
            continue
        else
            echo $w
            return 0
        end
    end
    return 1
end

function __devown_no_command
    not __devown_command >/dev/null
end

function __devown_command_is
    set -l c (__devown_command)
    or return 1
    contains -- $c $argv
end

# How many arguments follow the command, not counting options.
function __devown_nargs
    set -l words (commandline -opc)
    set -l skip 0
    set -l seen 0
    set -l n 0
    for w in $words[2..-1]
        if test $skip = 1
            set skip 0
        else if contains -- $w --timeout --device --origin
            set skip 1
        else if string match -q -- '-*' $w
            continue
        else if test $seen = 0
            set seen 1
        else
            set n (math $n + 1)
        end
    end
    echo $n
end

function __devown_bind_driver_possible
    __devown_command_is bind
    and test (__devown_nargs) -ge 1
end

function __devown_addresses
    set -l root (__devown_root)
    for p in $root/sys/bus/pci/devices/*
        set -l drv 'no driver'
        if test -L $p/driver
            set drv (string replace -r '.*/' '' -- (builtin realpath -- $p/driver))
        end
        printf '%s\t%s\n' (string replace -r '.*/' '' -- $p) $drv
    end
end

function __devown_groups
    set -l root (__devown_root)
    for p in $root/sys/kernel/iommu_groups/*
        printf '%s\t%s\n' (string replace -r '.*/' '' -- $p) 'IOMMU group'
    end
end

function __devown_drivers
    set -l root (__devown_root)
    for p in $root/sys/bus/pci/drivers/*
        printf '%s\t%s\n' (string replace -r '.*/' '' -- $p) 'PCI driver'
    end
    printf '%s\t%s\n' vfio 'the VFIO driver for each device' none 'no driver, keep unbound'
end

complete -c devown -f

# Commands.
complete -c devown -n __devown_no_command -a status -d 'show IOMMU groups, drivers, DMA owners and what blocks VFIO'
complete -c devown -n __devown_no_command -a bind -d 'bind devices (or whole groups) to a driver, e.g. vfio'
complete -c devown -n __devown_no_command -a unbind -d 'detach devices and keep them unbound until restored'
complete -c devown -n __devown_no_command -a restore -d 'give devices back the driver and override they had before devown'
complete -c devown -n __devown_no_command -a apply -d 'bring devices to the state the configuration names'
complete -c devown -n __devown_no_command -a export -d 'print the devices devown manages as configuration for apply'

# Options: each where a command takes it; all of them before the command.
complete -c devown -n '__devown_no_command; or __devown_command_is status bind unbind restore apply export' -s j -l json -d 'print JSON (schema 1) instead of text'
complete -c devown -n '__devown_no_command; or __devown_command_is status bind unbind restore apply' -s v -l verbose -d 'show every attribute, or the plan'
complete -c devown -n '__devown_no_command; or __devown_command_is bind unbind' -s g -l group -d "act on every member of each target's IOMMU group"
complete -c devown -n '__devown_no_command; or __devown_command_is bind unbind restore apply' -s n -l dry-run -d 'print the plan and whether it would go ahead'
complete -c devown -n '__devown_no_command; or __devown_command_is bind unbind apply' -s f -l force -d 'take devices the host is using'
complete -c devown -n '__devown_no_command; or __devown_command_is bind unbind restore apply' -l timeout -x -d 'bound for blocking writes, waits and the lock (seconds)'
complete -c devown -n '__devown_no_command; or __devown_command_is apply' -l device -x -a '(__devown_addresses)' -d 'apply only the entries that concern this device'
complete -c devown -n '__devown_no_command; or __devown_command_is apply' -l origin -x -a 'initramfs unit udev command' -d 'who runs apply, for the journal'
complete -c devown -l no-color -d 'never colour the text output'
complete -c devown -s h -l help -d 'show the help'
complete -c devown -l version -d 'show the version'

# Arguments.
complete -c devown -n '__devown_command_is status bind unbind restore' -a '(__devown_addresses; __devown_groups)'
complete -c devown -n __devown_bind_driver_possible -a '(__devown_drivers)'
complete -c devown -n '__devown_command_is apply' -F
