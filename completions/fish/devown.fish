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
        else if contains -- $w --timeout --device --owner --driver --origin
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
        else if contains -- $w --timeout --device --owner --driver --origin
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
    __devown_command_is bind run
    and not __devown_after_dashdash
    and test (__devown_nargs) -ge 1
end

# run: the words after "--" are COMMAND and its arguments.
function __devown_after_dashdash
    contains -- -- (commandline -opc)
end

# run: the word right after "--", where a command goes.
function __devown_command_slot
    set -l words (commandline -opc)
    test "$words[-1]" = --
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

function __devown_pfs
    set -l root (__devown_root)
    for p in $root/sys/bus/pci/devices/*
        if test -e $p/sriov_totalvfs
            printf '%s\t%s\n' (string replace -r '.*/' '' -- $p) 'SR-IOV physical function'
        end
    end
end

function __devown_vf_drivers
    set -l root (__devown_root)
    for p in $root/sys/bus/pci/drivers/*
        printf '%s\t%s\n' (string replace -r '.*/' '' -- $p) 'PCI driver'
    end
    printf '%s\t%s\n' vfio 'the VFIO driver for each VF'
end

complete -c devown -f

# Commands.
complete -c devown -n __devown_no_command -a status -d 'show IOMMU groups, drivers, DMA owners and what blocks VFIO'
complete -c devown -n __devown_no_command -a bind -d 'bind devices (or whole groups) to a driver, e.g. vfio'
complete -c devown -n __devown_no_command -a unbind -d 'detach devices and keep them unbound until restored'
complete -c devown -n __devown_no_command -a restore -d 'give devices back the driver and override they had before devown'
complete -c devown -n __devown_no_command -a apply -d 'bring devices to the state the configuration names'
complete -c devown -n __devown_no_command -a export -d 'print the devices devown manages as configuration for apply'
complete -c devown -n __devown_no_command -a run -d 'bind, run COMMAND, and restore when it ends, however it ends'
complete -c devown -n __devown_no_command -a sriov -d 'create COUNT virtual functions on PF (0 removes them)'

# Options: each where a command takes it; all of them before the command.
complete -c devown -n '__devown_no_command; or __devown_command_is status bind unbind restore apply export run sriov' -s j -l json -d 'print JSON (schema 1) instead of text'
complete -c devown -n '__devown_no_command; or __devown_command_is status bind unbind restore apply run sriov' -s v -l verbose -d 'show every attribute, or the plan'
complete -c devown -n '__devown_no_command; or __devown_command_is bind unbind run' -s g -l group -d "act on every member of each target's IOMMU group"
complete -c devown -n '__devown_no_command; or __devown_command_is bind unbind restore apply run sriov' -s n -l dry-run -d 'print the plan and whether it would go ahead'
complete -c devown -n '__devown_no_command; or __devown_command_is bind unbind apply run sriov' -s f -l force -d 'take devices the host is using'
complete -c devown -n '__devown_no_command; or __devown_command_is bind unbind restore apply run sriov' -l timeout -x -d 'bound for blocking writes, waits and the lock (seconds)'
complete -c devown -n '__devown_no_command; or __devown_command_is apply' -l device -x -a '(__devown_addresses)' -d 'apply only the entries that concern this device'
complete -c devown -n '__devown_no_command; or __devown_command_is bind apply run' -l owner -x -a '(__fish_complete_users)' -d 'give the VFIO device nodes to USER (and GROUP) until restore'
complete -c devown -n '__devown_no_command; or __devown_command_is sriov' -l driver -x -a '(__devown_vf_drivers)' -d 'sriov: bind the VFs to this driver'
complete -c devown -n '__devown_no_command; or __devown_command_is apply' -l origin -x -a 'initramfs unit udev command' -d 'who runs apply, for the journal'
complete -c devown -l no-color -d 'never colour the text output'
complete -c devown -s h -l help -d 'show the help'
complete -c devown -l version -d 'show the version'

# Arguments.
complete -c devown -n '__devown_command_is status bind unbind restore; or begin; __devown_command_is run; and not __devown_after_dashdash; end' -a '(__devown_addresses; __devown_groups)'
complete -c devown -n '__devown_command_is run; and __devown_command_slot' -a '(__fish_complete_command)'
complete -c devown -n '__devown_command_is run; and __devown_after_dashdash; and not __devown_command_slot' -F
complete -c devown -n __devown_bind_driver_possible -a '(__devown_drivers)'
complete -c devown -n '__devown_command_is apply' -F
complete -c devown -n '__devown_command_is sriov; and test (__devown_nargs) -eq 0' -a '(__devown_pfs)'
