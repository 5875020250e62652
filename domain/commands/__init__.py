"""The commands of PaymentsCore, one module per aggregate, each a mixin on the runner.

======================  ============================================================
``cards``               open_card_account, issue_card, activate_card, load_card,
                        record_card_spend, set_usage_controls, set_card_pin,
                        request_card_otp, verify_card_otp, lock_card, unlock_card,
                        block_card, replace_card, record_remote_card_account,
                        record_remote_card
``holders``             register_holder, correct_holder, export_holder, forget_holder
``invoices``            receive_invoice, respond_to_invoice, edit_invoice,
                        cancel_invoice, receive_cd_note, confirm_cd_note
``payments``            initiate_payment, request_payment_otp, authorise_payment,
                        submit_payment, record_payment_success, record_payment_failure
``purchase_orders``     draft_purchase_order, send_purchase_order, edit_purchase_order,
                        record_po_response, record_po_fulfilment, close_purchase_order,
                        cancel_purchase_order
======================  ============================================================

The unit of work, conflict retries, idempotency and audit stamping they share live in
``paycore.domain.runner``; the argument checks and their bounds in
``paycore.domain.arguments``.
"""
